// Disk sink buffer: append-only segment files under dataDir/buffers/<sink>/.
//
// Frame:  u32 payloadLength | u32 crc32(bodyBytes|payload) | u32 bodyBytes | payload
// Payload (current): 0x02 | u32 metaLength | meta JSON | body JSON. Meta and body are separable,
//   so a read hands the body's JSON text to the sinks without parsing it (only the small meta is).
// Payload (written before 2026-12, still read): JSON {"m": meta, "b": body}; it always starts
//   with "{", which the current format never does.
// Files:  seg-000000000001.log ...   ack.json = {"segment": n, "offset": o} (first unacked frame)
//
// fsync policy: every push is written and fdatasync'ed before it is acknowledged upstream
// (concurrent pushes are group-committed: one write + one fdatasync for all of them), so an
// accepted event survives a crash. ack.json is written atomically after deliveries; if a
// crash loses its last update, those events are delivered again (at-least-once, bounded by
// the batches in flight). On open, a torn tail (a frame cut short by a crash) is truncated
// and its bytes are dead-lettered; a frame whose checksum fails is dead-lettered when read.

import { open, readdir, readFile, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Metrics } from '../../observability/metrics.js';
import type { DeadLetterInput } from '../dead-letter.js';
import { ensurePrivateDir, fsyncDir, PRIVATE_FILE_MODE, removeStaleTempFiles, writeFileAtomic } from '../fs-atomic.js';
import { sinkEvent, type EventMeta, type SinkEvent } from '../types.js';
import { Signal, type BufferEntry, type EventBuffer, type ReadBatch, type ReadOptions } from './buffer.js';

const HEADER = 12;
/** First payload byte of the current frame format (meta and body separable). */
const FORMAT_SPLIT = 0x02;
/** First payload byte of the original format (one JSON object {"m":…,"b":…}). */
const FORMAT_OBJECT = 0x7b; // "{"
const SPLIT_PREFIX = 5; // format byte + u32 meta length
const MAX_FRAME = 256 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

export interface DiskBufferOptions {
  sink: string;
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  whenFull: 'block' | 'drop_newest';
  metrics: Metrics;
  deadLetter: (entry: Omit<DeadLetterInput, 'component'>) => Promise<void>;
  warn: (msg: string, extra?: Record<string, unknown>) => void;
}

interface Pos {
  seg: number;
  off: number;
}

interface Inflight {
  end: Pos;
  frameBytes: number;
  events: number;
  acked: boolean;
}

interface PendingPush {
  frames: Buffer[];
  entries: BufferEntry[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.log`;

export class DiskBuffer implements EventBuffer {
  readonly kind = 'disk' as const;
  private segEnds = new Map<number, number>();
  private writeSeg = 0;
  private writeFh: FileHandle | null = null;
  private readPos: Pos = { seg: 0, off: 0 };
  private ackPos: Pos = { seg: 0, off: 0 };
  private readFh: { seg: number; fh: FileHandle } | null = null;
  private chunk: { seg: number; start: number; buf: Buffer } | null = null;
  private inflight: Inflight[] = [];
  private unackedEvents = 0;
  private unackedBytes = 0;
  private unreadEvents = 0;
  private unreadBytes = 0;
  private pending: PendingPush[] = [];
  private writing = false;
  private flushMode = false;
  private closed = false;
  private readLock: Promise<void> = Promise.resolve();
  private ackSaving: Promise<void> | null = null;
  private ackDirty = false;
  private dataArrived = new Signal();
  private spaceFreed = new Signal();
  private emptied = new Signal();

  private constructor(private opts: DiskBufferOptions) {}

  static async open(opts: DiskBufferOptions): Promise<DiskBuffer> {
    const b = new DiskBuffer(opts);
    await b.recover();
    opts.metrics.bufferMaxBytes.set({ sink: opts.sink }, opts.maxBytes);
    b.updateGauges();
    return b;
  }

  get events(): number {
    return this.unackedEvents;
  }
  get bytes(): number {
    return this.unackedBytes;
  }
  isEmpty(): boolean {
    return this.unackedEvents === 0 && this.pending.length === 0;
  }

  // ------------------------------------------------------------------ recovery

  private async recover(): Promise<void> {
    const { dir } = this.opts;
    await ensurePrivateDir(dir);
    await removeStaleTempFiles(dir); // an ack.json write cut by a kill
    const segs = (await readdir(dir))
      .map((n) => /^seg-(\d{12})\.log$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let ack: Pos | null = null;
    try {
      const parsed = JSON.parse(await readFile(join(dir, 'ack.json'), 'utf8')) as Partial<Pos> & { segment?: number; offset?: number };
      if (Number.isInteger(parsed.segment) && Number.isInteger(parsed.offset)) ack = { seg: parsed.segment!, off: parsed.offset! };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        // Losing the ack position only means re-delivery from the oldest segment, never loss.
        this.opts.warn('disk buffer ack.json unreadable; replaying from the oldest segment', { sink: this.opts.sink, error: String(err) });
      }
    }
    const first = segs[0] ?? 1;
    if (!ack || (segs.length && ack.seg < first)) ack = { seg: first, off: 0 };
    for (const s of segs) {
      if (s < ack.seg) await rm(join(dir, segName(s)), { force: true });
    }
    for (const s of segs.filter((x) => x >= ack.seg)) {
      const from = s === ack.seg ? ack.off : 0;
      const end = await this.scanSegment(s, from);
      this.segEnds.set(s, end);
    }
    this.ackPos = { ...ack };
    this.readPos = { ...ack };
    // Always append to a fresh segment: an existing tail is never written again.
    this.writeSeg = Math.max(ack.seg, segs[segs.length - 1] ?? 0) + 1;
    this.writeFh = await open(join(dir, segName(this.writeSeg)), 'a', PRIVATE_FILE_MODE);
    this.segEnds.set(this.writeSeg, 0);
    await fsyncDir(dir);
    if (!segs.includes(ack.seg)) this.ackPos = this.readPos = { seg: this.writeSeg, off: 0 };
  }

  /** Counts intact frames from `from`; truncates and dead-letters a torn tail. Returns the valid end. */
  private async scanSegment(seg: number, from: number): Promise<number> {
    const path = join(this.opts.dir, segName(seg));
    const size = (await stat(path)).size;
    const fh = await open(path, 'r');
    let off = from;
    try {
      const header = Buffer.alloc(HEADER);
      while (off < size) {
        const { bytesRead } = await fh.read(header, 0, HEADER, off);
        const len = bytesRead === HEADER ? header.readUInt32LE(0) : -1;
        if (len < 0 || len > MAX_FRAME || off + HEADER + len > size) {
          const torn = Buffer.alloc(size - off);
          await fh.read(torn, 0, torn.length, off);
          await this.opts.deadLetter({
            reason: 'buffer_torn_record',
            detail: `disk buffer segment ${segName(seg)} ends with an incomplete record at offset ${off} (${size - off} bytes), probably cut by a crash; the bytes are kept here base64-encoded`,
            kind: 'buffer_bytes',
            payload: torn.toString('base64'),
            context: { segment: segName(seg), offset: off },
          });
          this.opts.warn('disk buffer: torn record at segment tail dead-lettered and truncated', { sink: this.opts.sink, segment: segName(seg), offset: off });
          await fh.close();
          await truncate(path, off);
          return off;
        }
        this.unackedEvents++;
        this.unreadEvents++;
        this.unackedBytes += HEADER + len;
        this.unreadBytes += HEADER + len;
        off += HEADER + len;
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
    return off;
  }

  // ------------------------------------------------------------------ write

  push(entries: BufferEntry[], signal?: AbortSignal): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const frames = entries.map((e) => encodeFrame(e));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.pending.indexOf(p);
        if (i >= 0) {
          this.pending.splice(i, 1);
          reject(signal?.reason ?? new Error('aborted'));
        }
      };
      const p: PendingPush = {
        frames,
        entries,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.pending.push(p);
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.writeLoop();
    });
  }

  private fits(bytes: number): boolean {
    return this.unackedBytes === 0 || this.unackedBytes + bytes <= this.opts.maxBytes;
  }

  private async writeLoop(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pending.length && !this.closed) {
        // Group commit: take every frame that fits, write once, fsync once.
        const batch: Buffer[] = [];
        const acks: BufferEntry[] = [];
        const done: PendingPush[] = [];
        let bytes = 0;
        let blocked = false;
        while (this.pending.length && !blocked) {
          const p = this.pending[0]!;
          while (p.frames.length) {
            const f = p.frames[0]!;
            if (!this.fits(bytes + f.length)) {
              if (this.opts.whenFull === 'drop_newest') {
                p.frames.shift();
                const e = p.entries.shift()!;
                this.opts.metrics.eventsDropped.inc({ sink: this.opts.sink });
                e.ack?.ack(1);
                continue;
              }
              blocked = true;
              break;
            }
            batch.push(p.frames.shift()!);
            acks.push(p.entries.shift()!);
            bytes += f.length;
          }
          if (!blocked) done.push(this.pending.shift()!);
        }
        if (batch.length) await this.append(batch, bytes);
        for (const e of acks) e.ack?.ack(1);
        for (const p of done) p.resolve();
        if (blocked && batch.length === 0) await this.spaceFreed.wait();
      }
    } catch (err) {
      for (const p of this.pending.splice(0)) p.reject(err);
    } finally {
      this.writing = false;
    }
  }

  private async append(frames: Buffer[], bytes: number): Promise<void> {
    if ((this.segEnds.get(this.writeSeg) ?? 0) >= this.opts.segmentBytes) await this.rotate();
    const fh = this.writeFh!;
    const buf = frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes);
    let written = 0;
    while (written < buf.length) written += (await fh.write(buf, written)).bytesWritten;
    await fh.datasync();
    this.segEnds.set(this.writeSeg, (this.segEnds.get(this.writeSeg) ?? 0) + bytes);
    this.unackedEvents += frames.length;
    this.unackedBytes += bytes;
    this.unreadEvents += frames.length;
    this.unreadBytes += bytes;
    this.updateGauges();
    this.dataArrived.notify();
  }

  private async rotate(): Promise<void> {
    await this.writeFh?.close();
    this.writeSeg++;
    this.writeFh = await open(join(this.opts.dir, segName(this.writeSeg)), 'a', PRIVATE_FILE_MODE);
    this.segEnds.set(this.writeSeg, 0);
    await fsyncDir(this.opts.dir);
  }

  // ------------------------------------------------------------------ read

  async read(opts: ReadOptions): Promise<ReadBatch | null> {
    for (;;) {
      while (this.unreadEvents === 0) {
        if (opts.signal.aborted || this.closed) return null;
        await this.dataArrived.wait(opts.signal);
      }
      const deadline = Date.now() + opts.maxWaitMs;
      while (!this.flushMode && !opts.signal.aborted && this.unreadEvents < opts.maxEvents && this.unreadBytes < opts.maxBytes) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        await this.dataArrived.wait(opts.signal, left);
      }
      // Several sink workers read at once; frames must be claimed one reader at a time.
      const turn = this.readLock.then(() => (this.unreadEvents > 0 ? this.readFrames(opts.maxEvents, opts.maxBytes) : null));
      this.readLock = turn.then(() => undefined, () => undefined);
      const batch = await turn;
      if (!batch) continue;
      if (batch.entries.length) return batch;
      await this.ack(batch); // every frame in it was corrupt and dead-lettered
    }
  }

  private async readFrames(maxEvents: number, maxBytes: number): Promise<ReadBatch> {
    const entries: BufferEntry[] = [];
    let bytes = 0;
    let frameBytes = 0;
    let frames = 0;
    while (entries.length < maxEvents && this.unreadEvents > 0) {
      const end = this.segEnds.get(this.readPos.seg) ?? 0;
      if (this.readPos.off >= end) {
        if (this.readPos.seg >= this.writeSeg) break;
        this.readPos = { seg: this.nextSeg(this.readPos.seg), off: 0 };
        continue;
      }
      const header = await this.bytesAt(this.readPos.seg, this.readPos.off, HEADER);
      const len = header.readUInt32LE(0);
      const crc = header.readUInt32LE(4);
      const bodyBytes = header.readUInt32LE(8);
      if (entries.length > 0 && bytes + bodyBytes > maxBytes) break;
      const payload = await this.bytesAt(this.readPos.seg, this.readPos.off + HEADER, len);
      const at = { ...this.readPos };
      this.readPos = { seg: this.readPos.seg, off: this.readPos.off + HEADER + len };
      this.unreadEvents--;
      this.unreadBytes -= HEADER + len;
      frames++;
      frameBytes += HEADER + len;
      const check = crc32(payload, crc32(header.subarray(8, 12)));
      let event: SinkEvent | null = null;
      let problem = check === crc ? '' : 'checksum mismatch';
      if (!problem) {
        try {
          event = decodePayload(payload, bodyBytes);
        } catch (err) {
          problem = `undecodable record: ${(err as Error).message}`;
        }
      }
      if (!event) {
        await this.opts.deadLetter({
          reason: 'buffer_corrupt_record',
          detail: `disk buffer record at ${segName(at.seg)}:${at.off} is damaged (${problem}); the bytes are kept here base64-encoded`,
          kind: 'buffer_bytes',
          payload: payload.toString('base64'),
          context: { segment: segName(at.seg), offset: at.off },
        });
        continue;
      }
      entries.push({ event, bytes: bodyBytes });
      bytes += bodyBytes;
    }
    const token: Inflight = { end: { ...this.readPos }, frameBytes, events: frames, acked: false };
    this.inflight.push(token);
    return { entries, bytes, token };
  }

  private nextSeg(seg: number): number {
    let next = Infinity;
    for (const s of this.segEnds.keys()) if (s > seg && s < next) next = s;
    return next === Infinity ? this.writeSeg : next;
  }

  private async bytesAt(seg: number, off: number, len: number): Promise<Buffer> {
    const c = this.chunk;
    if (c && c.seg === seg && off >= c.start && off + len <= c.start + c.buf.length) return c.buf.subarray(off - c.start, off - c.start + len);
    if (!this.readFh || this.readFh.seg !== seg) {
      await this.readFh?.fh.close();
      this.readFh = { seg, fh: await open(join(this.opts.dir, segName(seg)), 'r') };
    }
    const end = this.segEnds.get(seg) ?? off + len;
    const size = Math.max(len, Math.min(READ_CHUNK, end - off));
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await this.readFh.fh.read(buf, got, size - got, off + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < len) throw new Error(`disk buffer ${segName(seg)} shorter than expected at ${off}`);
    this.chunk = { seg, start: off, buf: buf.subarray(0, got) };
    return this.chunk.buf.subarray(0, len);
  }

  // ------------------------------------------------------------------ ack

  async ack(batch: ReadBatch): Promise<void> {
    const t = batch.token as Inflight;
    t.acked = true;
    let advanced = false;
    while (this.inflight.length && this.inflight[0]!.acked) {
      const done = this.inflight.shift()!;
      this.ackPos = done.end;
      this.unackedEvents -= done.events;
      this.unackedBytes -= done.frameBytes;
      advanced = true;
    }
    if (!advanced) return;
    for (const s of [...this.segEnds.keys()]) {
      if (s < this.ackPos.seg) {
        this.segEnds.delete(s);
        if (this.readFh?.seg === s) {
          await this.readFh.fh.close();
          this.readFh = null;
        }
        await rm(join(this.opts.dir, segName(s)), { force: true });
      }
    }
    this.updateGauges();
    this.spaceFreed.notify();
    this.ackDirty = true;
    await this.saveAck();
    if (this.isEmpty()) this.emptied.notify();
  }

  private async saveAck(): Promise<void> {
    while (this.ackSaving) await this.ackSaving;
    if (!this.ackDirty) return;
    this.ackDirty = false;
    const pos = this.ackPos;
    // Not fsynced: losing the newest ack position (power loss only) re-delivers, never loses.
    this.ackSaving = writeFileAtomic(join(this.opts.dir, 'ack.json'), JSON.stringify({ segment: pos.seg, offset: pos.off }) + '\n', { durable: false }).finally(() => {
      this.ackSaving = null;
    });
    await this.ackSaving;
  }

  setFlushMode(on: boolean): void {
    this.flushMode = on;
    this.dataArrived.notify();
  }

  async whenEmpty(): Promise<void> {
    while (!this.isEmpty()) await this.emptied.wait(undefined, 1000);
  }

  private updateGauges(): void {
    this.opts.metrics.bufferEvents.set({ sink: this.opts.sink }, this.unackedEvents);
    this.opts.metrics.bufferBytes.set({ sink: this.opts.sink }, this.unackedBytes);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dataArrived.notify();
    this.spaceFreed.notify();
    for (const p of this.pending.splice(0)) p.reject(new Error('buffer closed'));
    while (this.writing) await new Promise((r) => setImmediate(r));
    while (this.ackSaving) await this.ackSaving;
    await this.writeFh?.close();
    await this.readFh?.fh.close();
    this.writeFh = null;
    this.readFh = null;
  }
}

/** One frame in the current format; the body's JSON text is copied in as it is (never re-serialised). */
function encodeFrame(e: BufferEntry): Buffer {
  const meta = JSON.stringify(e.event.meta);
  const metaBytes = Buffer.byteLength(meta);
  const len = SPLIT_PREFIX + metaBytes + e.event.bytes;
  const buf = Buffer.allocUnsafe(HEADER + len);
  buf[HEADER] = FORMAT_SPLIT;
  buf.writeUInt32LE(metaBytes, HEADER + 1);
  buf.write(meta, HEADER + SPLIT_PREFIX, 'utf8');
  const written = buf.write(e.event.json, HEADER + SPLIT_PREFIX + metaBytes, 'utf8');
  // `bytes` is the UTF-8 length of `json` by construction; a mismatch would write a bad frame.
  if (written !== e.event.bytes) throw new Error(`disk buffer: event ${e.event.meta.id} says ${e.event.bytes} bytes of JSON but has ${written}`);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt32LE(e.bytes, 8);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER), crc32(buf.subarray(8, 12))), 4);
  return buf;
}

/** The event of a checksummed payload; throws when it cannot be decoded. */
function decodePayload(payload: Buffer, bodyBytes: number): SinkEvent {
  if (payload[0] === FORMAT_SPLIT) {
    const metaBytes = payload.length >= SPLIT_PREFIX ? payload.readUInt32LE(1) : -1;
    if (metaBytes < 0 || SPLIT_PREFIX + metaBytes + bodyBytes !== payload.length) throw new Error('meta and body lengths do not add up to the record length');
    const meta = JSON.parse(payload.toString('utf8', SPLIT_PREFIX, SPLIT_PREFIX + metaBytes)) as EventMeta;
    return sinkEvent(meta, payload.toString('utf8', SPLIT_PREFIX + metaBytes), bodyBytes);
  }
  if (payload[0] === FORMAT_OBJECT) {
    // Written by an earlier version: meta and body in one object, so this one is parsed whole.
    const parsed = JSON.parse(payload.toString('utf8')) as { m: EventMeta; b: unknown };
    const json = JSON.stringify(parsed.b);
    return sinkEvent(parsed.m, json, Buffer.byteLength(json));
  }
  throw new Error(`unknown record format 0x${(payload[0] ?? 0).toString(16)}`);
}

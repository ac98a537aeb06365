// Disk sink buffer: append-only segment files under dataDir/buffers/<sink>/.
//
// Frame:  u32 payloadLength | u32 crc32(bodyBytes|payload) | u32 bodyBytes | payload
// Payload (current): 0x03 | u32 metaLength | meta (binary fields, disk-meta.ts) | body JSON. Meta
//   and body are separable, so a read hands the body's JSON text to the sinks without parsing it,
//   and the meta is neither serialised nor parsed as JSON.
// Payload (written before, still read): 0x02 | u32 metaLength | meta JSON | body JSON; and the
//   original JSON {"m": meta, "b": body}, which always starts with "{" (0x7b).
// Files:  seg-000000000001.log ...   ack.json = {"segment": n, "offset": o} padded with spaces to
//         64 bytes (first unacked frame)
//
// fsync policy: every push is written and fdatasync'ed before it is acknowledged upstream
// (group commit: every push made while a write + fdatasync runs goes into the next one, as one
// writev of the pushes' encoded Buffers and one fdatasync), so an accepted event survives a
// crash. Reads: a sink that keeps pace gets the
// newest written events from a small tail cache (TAIL_CACHE_BYTES) instead of the file; older
// frames are decoded from 1 MiB chunks. ack.json is overwritten in place after deliveries (one
// fixed-size write); if a crash loses its last update, those events are delivered again
// (at-least-once, bounded by the batches in flight). On open, a torn tail (a frame cut short by
// a crash) is truncated and its bytes are dead-lettered; a frame whose checksum fails is
// dead-lettered when read.

import { open, readdir, readFile, rename, rm, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Metrics } from '../../observability/metrics.js';
import type { Ack } from '../acks.js';
import type { DeadLetterInput } from '../dead-letter.js';
import { ensurePrivateDir, fsyncDir, PRIVATE_FILE_MODE, removeStaleTempFiles } from '../fs-atomic.js';
import { sinkEvent, sinkEventFromUtf8, type EventMeta, type SinkEvent } from '../types.js';
import { metaBound, readMeta, writeMeta } from './disk-meta.js';
import { Signal, type BufferEntry, type EventBuffer, type ReadBatch, type ReadOptions } from './buffer.js';
import { describeError } from '../retry.js';

const HEADER = 12;
/** First payload byte of the current frame format: binary meta (disk-meta.ts), then the body's JSON. */
const FORMAT_BINARY_META = 0x03;
/** First payload byte of the format written before 2026-12-01 (meta as JSON, then the body's JSON). */
const FORMAT_JSON_META = 0x02;
/** First payload byte of the original format (one JSON object {"m":…,"b":…}). */
const FORMAT_OBJECT = 0x7b; // "{"
const SPLIT_PREFIX = 5; // format byte + u32 meta length
const MAX_FRAME = 256 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
/**
 * Event bytes of the newest written frames kept in memory as the events themselves, so that a
 * sink keeping pace reads them without reading the file back and decoding it (syslog-ng's
 * reliable disk buffer keeps such a "qout" for the same reason). The frames are on disk and
 * fsynced all the same; a restart reads the file. 4 MiB: a little more than what a HEC sink's
 * four workers take at once with the default batch size (768 KiB), so a live tail is served
 * from memory; a backfill whose sink falls further behind reads the file. 16 MiB cost ~40 MB
 * of peak RSS in the e2e bench for little measurable speed (docs/performance.md, "Disk buffer").
 */
export const TAIL_CACHE_BYTES = 4 * 1024 * 1024;

/**
 * ack.json is one fixed-size record overwritten in place (the JSON position padded with
 * spaces), so a save is one write into an open file instead of open, write, close and rename
 * (each a trip through libuv's thread pool, which a busy 2-core machine makes dear).
 * A process crash cannot tear a write this small (the kernel copies it whole or not at all);
 * a power loss may keep the old position or leave the file unreadable, and both only
 * re-deliver (an unreadable ack.json replays from the oldest segment). The record carries a
 * check of its position, so that a write torn across the old and the new record (a position
 * that may lie ahead of what was acked, or inside a frame) is read as unreadable, not obeyed.
 */
const ACK_RECORD_BYTES = 96;

/** The check an ack.json record carries: crc32 of "segment:offset". */
const ackCheck = (seg: number, off: number): number => crc32(`${seg}:${off}`);

export interface DiskBufferOptions {
  sink: string;
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  whenFull: 'block' | 'drop_newest';
  metrics: Metrics;
  deadLetter: (entry: Omit<DeadLetterInput, 'component'>) => Promise<void>;
  warn: (msg: string, extra?: Record<string, unknown>) => void;
  /** Makes the written frames durable (default: fdatasync of the segment). Tests hold or count it. */
  sync?: (fh: FileHandle) => Promise<void>;
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

/** One push, encoded: all its frames in one Buffer; the entries themselves are not kept. */
interface PendingPush {
  /** Kept until written, for the tail cache. */
  entries: BufferEntry[];
  buf: Buffer;
  /** End offset of frame i in `buf`. */
  ends: number[];
  /** Upstream ack of frame i. */
  acks: (Ack | undefined)[];
  /** First frame not yet written (or dropped). */
  next: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A written frame still held as its event (the tail cache). */
interface TailFrame {
  seg: number;
  off: number;
  frameBytes: number;
  entry: BufferEntry;
}

/** Frames [from, to) of a push, written in one group commit. */
interface Span {
  push: PendingPush;
  from: number;
  to: number;
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
  private tail: TailFrame[] = [];
  private tailHead = 0;
  private tailBytes = 0;
  private inflight: Inflight[] = [];
  private unackedEvents = 0;
  private unackedBytes = 0;
  private unreadEvents = 0;
  private unreadBytes = 0;
  private pending: PendingPush[] = [];
  private writing = false;
  private flushMode = false;
  private closed = false;
  /** Set when a failed write could not be undone: every later push is refused with it. */
  private broken: Error | undefined;
  private readLock: Promise<void> = Promise.resolve();
  private ackFh: FileHandle | null = null;
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
      const parsed = JSON.parse(await readFile(join(dir, 'ack.json'), 'utf8')) as { segment?: number; offset?: number; check?: number };
      if (!Number.isInteger(parsed.segment) || !Number.isInteger(parsed.offset)) throw new Error('no integer segment and offset');
      // Records of the rename-based version have no check (a rename cannot tear them).
      if (parsed.check !== undefined && parsed.check !== ackCheck(parsed.segment!, parsed.offset!)) throw new Error('the position does not match its check (a torn write)');
      ack = { seg: parsed.segment!, off: parsed.offset! };
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
    // Once per open, atomically (temp + rename): ack.json as a record of the fixed size every
    // later save overwrites in place, whatever an earlier version or a damaged file left there.
    const path = join(dir, 'ack.json');
    const tmp = join(dir, `.ack.json.${process.pid}.tmp`);
    await writeFile(tmp, ackRecord(this.ackPos), { mode: PRIVATE_FILE_MODE });
    await rename(tmp, path);
    this.ackFh = await open(path, 'r+');
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
    if (this.broken) return Promise.reject(this.broken);
    let encoded: { buf: Buffer; ends: number[] };
    try {
      encoded = encodeFrames(entries);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.pending.indexOf(p);
        if (i >= 0) {
          this.pending.splice(i, 1);
          reject(signal?.reason ?? new Error('aborted'));
        }
      };
      const p: PendingPush = {
        ...encoded,
        entries,
        acks: entries.map((e) => e.ack),
        next: 0,
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

  /** A frame of `size` fits after `group` bytes taken for this write; only the very first frame into an empty buffer may exceed the bound. */
  private fits(group: number, size: number): boolean {
    return this.unackedBytes + group + size <= this.opts.maxBytes || (this.unackedBytes === 0 && group === 0);
  }

  /**
   * Group commit: every frame pushed while the previous write + fdatasync ran is written with
   * one writev and made durable by one fdatasync; only then are those frames acked upstream
   * and their pushes resolved.
   */
  private async writeLoop(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    // Pushes taken whole into the write in progress: a failed write must reject them too.
    let done: PendingPush[] = [];
    try {
      while (this.pending.length && !this.closed) {
        const spans: Span[] = [];
        done = [];
        let bytes = 0;
        let blocked = false;
        while (this.pending.length && !blocked) {
          const p = this.pending[0]!;
          let to = p.next;
          while (to < p.ends.length) {
            const size = p.ends[to]! - (to ? p.ends[to - 1]! : 0);
            if (this.fits(bytes, size)) {
              bytes += size;
              to++;
              continue;
            }
            if (this.opts.whenFull === 'block') {
              blocked = true;
              break;
            }
            // drop_newest: the frames before this one are still written; this one is counted and acked.
            if (to > p.next) spans.push({ push: p, from: p.next, to });
            this.opts.metrics.eventsDropped.inc({ sink: this.opts.sink });
            p.acks[to]?.ack(1);
            p.next = ++to;
          }
          if (to > p.next) spans.push({ push: p, from: p.next, to });
          p.next = to;
          if (to === p.ends.length) done.push(this.pending.shift()!);
        }
        if (spans.length) await this.append(spans, bytes);
        for (const s of spans) ackSpan(s);
        for (const p of done.splice(0)) p.resolve();
        if (blocked && spans.length === 0) await this.spaceFreed.wait();
      }
    } catch (err) {
      for (const p of [...done, ...this.pending.splice(0)]) p.reject(err);
    } finally {
      this.writing = false;
    }
  }

  private async append(spans: Span[], bytes: number): Promise<void> {
    if ((this.segEnds.get(this.writeSeg) ?? 0) >= this.opts.segmentBytes) await this.rotate();
    const fh = this.writeFh!;
    const chunks = spans.map(({ push, from, to }) => push.buf.subarray(from ? push.ends[from - 1]! : 0, push.ends[to - 1]!));
    let frames = 0;
    for (const s of spans) frames += s.to - s.from;
    const end = this.segEnds.get(this.writeSeg) ?? 0;
    try {
      let written = (await fh.writev(chunks)).bytesWritten;
      if (written < bytes) {
        // A short write (rare: a full disk): the rest follows it (the file is opened for appending).
        const all = Buffer.concat(chunks, bytes);
        while (written < bytes) written += (await fh.write(all, written)).bytesWritten;
      }
      await (this.opts.sync ? this.opts.sync(fh) : fh.datasync());
    } catch (err) {
      // Frames of a failed write may sit in the file, whole or in part; the next write would
      // append after them and the segment's recorded end would no longer meet a frame. Cut
      // them off (their pushes are rejected: upstream reads them again). If even that fails,
      // the buffer refuses every later push rather than write where it cannot read back.
      try {
        await fh.truncate(end);
        await (this.opts.sync ? this.opts.sync(fh) : fh.datasync());
      } catch {
        this.broken = new Error(`disk buffer ${this.opts.sink}: a failed write left unknown bytes in ${segName(this.writeSeg)} and they could not be cut off; no further events are accepted (${describeError(err)})`);
      }
      throw err;
    }
    this.remember(spans, this.segEnds.get(this.writeSeg) ?? 0);
    this.segEnds.set(this.writeSeg, (this.segEnds.get(this.writeSeg) ?? 0) + bytes);
    this.unackedEvents += frames;
    this.unackedBytes += bytes;
    this.unreadEvents += frames;
    this.unreadBytes += bytes;
    this.updateGauges();
    this.dataArrived.notify();
  }

  /** Adds the frames just made durable (from offset `off` of the write segment) to the tail cache, dropping its oldest beyond the bound. */
  private remember(spans: Span[], off: number): void {
    for (const { push, from, to } of spans) {
      for (let i = from; i < to; i++) {
        const frameBytes = push.ends[i]! - (i ? push.ends[i - 1]! : 0);
        const e = push.entries[i]!;
        this.tail.push({ seg: this.writeSeg, off, frameBytes, entry: { event: e.event, bytes: e.bytes } });
        this.tailBytes += e.bytes;
        off += frameBytes;
      }
    }
    while (this.tailBytes > TAIL_CACHE_BYTES) this.tailBytes -= this.tail[this.tailHead++]!.entry.bytes;
    this.compactTail();
  }

  /** The cached frame at (seg, off), if the tail cache has it; frames before it are dropped (they were read from the file). */
  private cachedAt(seg: number, off: number): TailFrame | undefined {
    while (this.tailHead < this.tail.length) {
      const t = this.tail[this.tailHead]!;
      if (t.seg > seg || (t.seg === seg && t.off >= off)) return t.seg === seg && t.off === off ? t : undefined;
      this.tailBytes -= t.entry.bytes;
      this.tailHead++;
    }
    return undefined;
  }

  private compactTail(): void {
    if (this.tailHead > 1024 && this.tailHead * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailHead);
      this.tailHead = 0;
    }
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

  /**
   * Claims frames from the read position. Frames are decoded straight out of the read chunk
   * (1 MiB of the segment, read in one call); only a chunk refill awaits.
   */
  private async readFrames(maxEvents: number, maxBytes: number): Promise<ReadBatch> {
    const entries: BufferEntry[] = [];
    let bytes = 0;
    let frameBytes = 0;
    let frames = 0;
    let { seg, off } = this.readPos;
    try {
      while (entries.length < maxEvents && this.unreadEvents > 0) {
        if (off >= (this.segEnds.get(seg) ?? 0)) {
          if (seg >= this.writeSeg) break;
          seg = this.nextSeg(seg);
          off = 0;
          continue;
        }
        const cached = this.cachedAt(seg, off);
        if (cached) {
          if (entries.length > 0 && bytes + cached.entry.bytes > maxBytes) break;
          this.tailBytes -= cached.entry.bytes;
          this.tailHead++;
          off += cached.frameBytes;
          this.unreadEvents--;
          this.unreadBytes -= cached.frameBytes;
          frames++;
          frameBytes += cached.frameBytes;
          entries.push(cached.entry);
          bytes += cached.entry.bytes;
          continue;
        }
        let c = this.chunk;
        if (!c || c.seg !== seg || off < c.start || off + HEADER > c.start + c.buf.length) c = await this.load(seg, off, HEADER);
        let at = off - c.start;
        const len = c.buf.readUInt32LE(at);
        const bodyBytes = c.buf.readUInt32LE(at + 8);
        if (entries.length > 0 && bytes + bodyBytes > maxBytes) break;
        if (at + HEADER + len > c.buf.length) {
          c = await this.load(seg, off, HEADER + len);
          at = 0;
        }
        const frameAt = off;
        off += HEADER + len;
        this.unreadEvents--;
        this.unreadBytes -= HEADER + len;
        frames++;
        frameBytes += HEADER + len;
        const payload = c.buf.subarray(at + HEADER, at + HEADER + len);
        let event: SinkEvent | null = null;
        let problem = crc32(c.buf.subarray(at + 8, at + HEADER + len)) === c.buf.readUInt32LE(at + 4) ? '' : 'checksum mismatch';
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
            detail: `disk buffer record at ${segName(seg)}:${frameAt} is damaged (${problem}); the bytes are kept here base64-encoded`,
            kind: 'buffer_bytes',
            payload: payload.toString('base64'),
            context: { segment: segName(seg), offset: frameAt },
          });
          continue;
        }
        entries.push({ event, bytes: bodyBytes });
        bytes += bodyBytes;
      }
    } finally {
      this.readPos = { seg, off };
      this.compactTail();
    }
    const token: Inflight = { end: { seg, off }, frameBytes, events: frames, acked: false };
    this.inflight.push(token);
    return { entries, bytes, token };
  }

  private nextSeg(seg: number): number {
    let next = Infinity;
    for (const s of this.segEnds.keys()) if (s > seg && s < next) next = s;
    return next === Infinity ? this.writeSeg : next;
  }

  /** Reads a chunk of segment `seg` from `off`: at least `len` bytes, up to READ_CHUNK or the segment's end. */
  private async load(seg: number, off: number, len: number): Promise<{ seg: number; start: number; buf: Buffer }> {
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
    return this.chunk;
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
    // One fixed-size write in place (ACK_RECORD_BYTES), not fsynced: losing the newest ack
    // position (power loss only) re-delivers, never loses.
    this.ackSaving = this.ackFh!.write(ackRecord(this.ackPos), 0, 'utf8')
      .then(() => undefined)
      .finally(() => {
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
    await this.ackFh?.close();
    this.writeFh = null;
    this.readFh = null;
    this.ackFh = null;
  }
}

/**
 * All frames of one push in the current format, in one Buffer: the meta written field by field
 * and the body's JSON text encoded straight into its place (neither serialised here), and each
 * frame's checksum covering its contiguous bodyBytes field and payload in one pass.
 */
function encodeFrames(entries: BufferEntry[]): { buf: Buffer; ends: number[] } {
  // Sized by the metas' upper bounds, so nothing is measured first; the unused end is never written.
  let bound = 0;
  for (const e of entries) bound += HEADER + SPLIT_PREFIX + metaBound(e.event.meta) + e.event.bytes;
  const buf = Buffer.allocUnsafe(bound);
  const ends: number[] = new Array<number>(entries.length);
  let off = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const at = off + HEADER;
    buf[at] = FORMAT_BINARY_META;
    const metaBytes = writeMeta(buf, at + SPLIT_PREFIX, e.event.meta);
    buf.writeUInt32LE(metaBytes, at + 1);
    const written = buf.write(e.event.json, at + SPLIT_PREFIX + metaBytes, 'utf8');
    // `bytes` is the UTF-8 length of `json` by construction; a mismatch would write a bad frame.
    if (written !== e.event.bytes) throw new Error(`disk buffer: event ${e.event.meta.id} says ${e.event.bytes} bytes of JSON but has ${written}`);
    const len = SPLIT_PREFIX + metaBytes + written;
    buf.writeUInt32LE(len, off);
    buf.writeUInt32LE(e.bytes, off + 8);
    const end = at + len;
    buf.writeUInt32LE(crc32(buf.subarray(off + 8, end)), off + 4);
    ends[i] = off = end;
  }
  return { buf, ends };
}

/** ack.json's content: the position and its check as JSON, padded with spaces to ACK_RECORD_BYTES (JSON.parse ignores them). */
function ackRecord(pos: Pos): string {
  return JSON.stringify({ segment: pos.seg, offset: pos.off, check: ackCheck(pos.seg, pos.off) }).padEnd(ACK_RECORD_BYTES - 1) + '\n';
}

/** Acks a written span upstream, one call per run of frames of the same upstream batch. */
function ackSpan({ push, from, to }: Span): void {
  let run = 0;
  for (let i = from; i < to; i++) {
    const a = push.acks[i];
    run++;
    if (i + 1 === to || push.acks[i + 1] !== a) {
      a?.ack(run);
      run = 0;
    }
  }
}

/** The event of a checksummed payload; throws when it cannot be decoded. */
function decodePayload(payload: Buffer, bodyBytes: number): SinkEvent {
  if (payload[0] === FORMAT_BINARY_META || payload[0] === FORMAT_JSON_META) {
    const metaBytes = payload.length >= SPLIT_PREFIX ? payload.readUInt32LE(1) : -1;
    if (metaBytes < 0 || SPLIT_PREFIX + metaBytes + bodyBytes !== payload.length) throw new Error('meta and body lengths do not add up to the record length');
    const meta = payload[0] === FORMAT_BINARY_META ? readMeta(payload, SPLIT_PREFIX, SPLIT_PREFIX + metaBytes) : (JSON.parse(payload.toString('utf8', SPLIT_PREFIX, SPLIT_PREFIX + metaBytes)) as EventMeta);
    // The body stays bytes: a sink that writes bytes copies them, and the text is decoded only if
    // a sink asks for it. Copied out of the read chunk (small ones into Node's shared pool), so
    // an event in flight holds its own bytes and not the whole 1 MiB chunk.
    const body = Buffer.allocUnsafe(bodyBytes);
    payload.copy(body, 0, SPLIT_PREFIX + metaBytes);
    return sinkEventFromUtf8(meta, body);
  }
  if (payload[0] === FORMAT_OBJECT) {
    // Written by an earlier version: meta and body in one object, so this one is parsed whole.
    const parsed = JSON.parse(payload.toString('utf8')) as { m: EventMeta; b: unknown };
    const json = JSON.stringify(parsed.b);
    return sinkEvent(parsed.m, json, Buffer.byteLength(json));
  }
  throw new Error(`unknown record format 0x${(payload[0] ?? 0).toString(16)}`);
}

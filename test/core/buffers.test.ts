import { appendFileSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BufferEntry, EventBuffer } from '../../src/core/buffers/buffer.js';
import { DiskBuffer } from '../../src/core/buffers/disk.js';
import { MemoryBuffer } from '../../src/core/buffers/memory.js';
import type { DeadLetterInput } from '../../src/core/dead-letter.js';
import { toSinkEvent, type PipelineEvent } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { settle, tempDir } from '../support/probe.js';

/** The byte unit of every buffer bound: UTF-8 bytes of the body JSON (as the fan-out computes it). */
const entryBytes = (e: PipelineEvent) => Buffer.byteLength(JSON.stringify(e.body));

function event(n: number, pad = 50): PipelineEvent {
  return { meta: { id: `a:audit_log:${n}`, account: 'a', stream: 'audit_log', time: 1_700_000_000_000 + n, schema: 'zendesk' }, body: { id: n, text: 'ü'.repeat(pad) } };
}
const entry = (n: number, pad?: number): BufferEntry => {
  const e = toSinkEvent(event(n, pad));
  return { event: e, bytes: entryBytes(e) };
};
const read = (b: EventBuffer, maxEvents = 1000, maxBytes = 1 << 30) => b.read({ maxEvents, maxBytes, maxWaitMs: 0, signal: new AbortController().signal });
const ids = (entries: BufferEntry[]) => entries.map((e) => e.event.body.id);

describe('MemoryBuffer', () => {
  it('blocks pushes beyond maxEvents until a batch is acked', async () => {
    const metrics = createMetrics();
    const b = new MemoryBuffer({ sink: 's', maxEvents: 3, maxBytes: 1 << 20, whenFull: 'block', metrics });
    await b.push([entry(1), entry(2), entry(3)]);
    let pushed = false;
    const p = b.push([entry(4)]).then(() => (pushed = true));
    await settle();
    expect(pushed).toBe(false);
    const batch = (await read(b, 2))!;
    expect(ids(batch.entries)).toEqual([1, 2]);
    await settle();
    expect(pushed).toBe(false); // read-but-unacked entries still occupy memory
    await b.ack(batch);
    await p;
    expect(ids((await read(b))!.entries)).toEqual([3, 4]);
  });

  it('bounds by bytes and batches by maxBytes', async () => {
    const metrics = createMetrics();
    const one = entry(1).bytes;
    const b = new MemoryBuffer({ sink: 's', maxEvents: 1000, maxBytes: one * 2, whenFull: 'drop_newest', metrics });
    await b.push([entry(1), entry(2), entry(3), entry(4)]);
    expect(b.events).toBe(2);
    expect((await metrics.eventsDropped.get()).values[0]?.value).toBe(2);
    expect(ids((await read(b, 10, one))!.entries)).toEqual([1]);
  });

  it('acks dropped entries so their batch can still be committed', async () => {
    const b = new MemoryBuffer({ sink: 's', maxEvents: 1, maxBytes: 1 << 20, whenFull: 'drop_newest', metrics: createMetrics() });
    let acked = 0;
    const ack = { add: () => undefined, ack: (n: number) => void (acked += n) };
    await b.push([{ ...entry(1), ack }, { ...entry(2), ack }]);
    expect(acked).toBe(1);
  });

  it('lets one oversized event through an empty buffer instead of deadlocking', async () => {
    const b = new MemoryBuffer({ sink: 's', maxEvents: 10, maxBytes: 1024, whenFull: 'block', metrics: createMetrics() });
    await b.push([entry(1, 5000)]);
    expect(b.events).toBe(1);
  });
});

async function openDisk(dir: string, opts: Partial<{ maxBytes: number; segmentBytes: number; whenFull: 'block' | 'drop_newest' }> = {}) {
  const deadLetters: Omit<DeadLetterInput, 'component'>[] = [];
  const warnings: string[] = [];
  const b = await DiskBuffer.open({
    sink: 's',
    dir,
    maxBytes: opts.maxBytes ?? 1 << 30,
    segmentBytes: opts.segmentBytes ?? 1 << 20,
    whenFull: opts.whenFull ?? 'block',
    metrics: createMetrics(),
    deadLetter: async (e) => void deadLetters.push(e),
    warn: (m) => void warnings.push(m),
  });
  return { b, deadLetters, warnings };
}

describe('DiskBuffer', () => {
  it('acks upstream only after the write and survives a restart with unacked entries', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir);
    let acked = 0;
    const ack = { add: () => undefined, ack: (n: number) => void (acked += n) };
    await b.push(Array.from({ length: 10 }, (_, i) => ({ ...entry(i), ack })));
    expect(acked).toBe(10);
    const first = (await read(b, 4))!;
    expect(ids(first.entries)).toEqual([0, 1, 2, 3]);
    await b.ack(first);
    const second = (await read(b, 3))!; // read but never acked: must come back after restart
    expect(ids(second.entries)).toEqual([4, 5, 6]);
    await b.close();

    const { b: again } = await openDisk(dir);
    expect(again.events).toBe(6);
    const rest = (await read(again))!;
    expect(ids(rest.entries)).toEqual([4, 5, 6, 7, 8, 9]);
    const back = rest.entries[0]!.event; // a SinkEvent: meta, the body's JSON text, and the body parsed from it
    expect({ meta: back.meta, body: back.body }).toEqual(event(4));
    expect(rest.entries[0]!.bytes).toBe(entryBytes(event(4)));
    await again.ack(rest);
    expect(again.isEmpty()).toBe(true);
    await again.close();
  });

  it('rotates segments and deletes fully acked ones', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir, { segmentBytes: 4096 });
    for (let i = 0; i < 50; i++) await b.push([entry(i, 100)]);
    const segs = () => readdirSync(dir).filter((n) => n.startsWith('seg-'));
    expect(segs().length).toBeGreaterThan(3);
    const all = (await read(b))!;
    expect(ids(all.entries)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await b.ack(all);
    expect(segs().length).toBe(1);
    await b.close();
  });

  it('applies acks in order even when batches are acked out of order', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir);
    await b.push([entry(1), entry(2), entry(3), entry(4)]);
    const x = (await read(b, 2))!;
    const y = (await read(b, 2))!;
    await b.ack(y);
    expect(b.events).toBe(4); // y is done but x is not: nothing released yet
    await b.close();
    const { b: again } = await openDisk(dir);
    expect(ids((await read(again))!.entries)).toEqual([1, 2, 3, 4]);
    await again.close();
    void x;
  });

  it('serves concurrent readers each frame exactly once', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir, { segmentBytes: 8192 });
    await b.push(Array.from({ length: 300 }, (_, i) => entry(i, 40)));
    const signal = new AbortController().signal;
    const batches = await Promise.all(Array.from({ length: 4 }, () => b.read({ maxEvents: 40, maxBytes: 1 << 30, maxWaitMs: 0, signal })));
    const rest = [];
    while (b.events - batches.reduce((a, x) => a + x!.entries.length, 0) - rest.reduce((a, x) => a + x.entries.length, 0) > 0) rest.push((await read(b, 1000))!);
    const all = [...batches.map((x) => x!), ...rest].flatMap((x) => ids(x.entries));
    expect(all.sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 300 }, (_, i) => i));
    await b.close();
  });

  it('blocks writers when maxBytes of unacked data is reached', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir, { maxBytes: 1024 * 1024 });
    const big = () => entry(0, 150_000); // ~300 KB each (2 bytes per ü)
    await b.push([big(), big(), big()]);
    let done = false;
    const p = b.push([big()]).then(() => (done = true));
    await settle(20);
    expect(done).toBe(false);
    const batch = (await read(b, 1))!;
    await b.ack(batch);
    await p;
    expect(done).toBe(true);
    await b.close();
  });

  it('detects a torn tail: keeps intact records, dead-letters the damaged bytes, truncates', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir);
    await b.push([entry(1), entry(2), entry(3)]);
    await b.close();
    const seg = join(dir, readdirSync(dir).filter((n) => n.startsWith('seg-')).sort()[0]!);
    const intactSize = statSync(seg).size;
    // A crash in the middle of a write: a header promising 500 bytes and only 20 of them.
    const header = Buffer.alloc(12);
    header.writeUInt32LE(500, 0);
    appendFileSync(seg, Buffer.concat([header, Buffer.from('{"m":{"id":"a:audit')]));

    const { b: again, deadLetters, warnings } = await openDisk(dir);
    expect(statSync(seg).size).toBe(intactSize);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ reason: 'buffer_torn_record', kind: 'buffer_bytes' });
    expect(Buffer.from(deadLetters[0]!.payload as string, 'base64').toString()).toContain('{"m":{"id":"a:audit');
    expect(warnings.join()).toContain('torn record');
    expect(ids((await read(again))!.entries)).toEqual([1, 2, 3]);
    await again.close();
  });

  it('dead-letters a record whose checksum fails and delivers the others', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir);
    await b.push([entry(1), entry(2), entry(3)]);
    await b.close();
    const seg = join(dir, readdirSync(dir).filter((n) => n.startsWith('seg-')).sort()[0]!);
    const bytes = readFileSync(seg);
    const secondStart = 12 + bytes.readUInt32LE(0);
    const fd = openSync(seg, 'r+');
    writeSync(fd, Buffer.from('X'), 0, 1, secondStart + 12 + 20); // flip a byte inside record 2
    closeSync(fd);
    const { b: again, deadLetters } = await openDisk(dir);
    const batch = (await read(again))!;
    expect(ids(batch.entries)).toEqual([1, 3]);
    expect(deadLetters).toEqual([expect.objectContaining({ reason: 'buffer_corrupt_record', detail: expect.stringContaining('checksum mismatch') })]);
    await again.ack(batch);
    expect(again.isEmpty()).toBe(true);
    await again.close();
  });

  it('hands the stored JSON text to the sink without parsing the body', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir);
    const written = [entry(1), entry(2)];
    await b.push([...written]); // push consumes its array
    await b.close();
    const { b: again } = await openDisk(dir); // a fresh process: nothing cached from the push
    const batch = (await read(again))!;
    expect(batch.entries.map((e) => e.event.json)).toEqual(written.map((e) => e.event.json));
    expect(batch.entries.map((e) => e.event.bytes)).toEqual(written.map((e) => e.bytes));
    expect(batch.entries.some((e) => Object.hasOwn(e.event, 'body'))).toBe(false); // not parsed
    expect(batch.entries[0]!.event.body).toEqual(event(1).body); // parsed on demand
    await again.ack(batch);
    await again.close();
  });

  it('still reads segments written in the original frame format ({"m":…,"b":…}), then appends in the current one', async () => {
    const dir = tempDir();
    // A segment exactly as the earlier version wrote it: its encodeFrame, copied here.
    const oldFrame = (e: PipelineEvent): Buffer => {
      const payload = `{"m":${JSON.stringify(e.meta)},"b":${JSON.stringify(e.body)}}`;
      const len = Buffer.byteLength(payload);
      const buf = Buffer.allocUnsafe(12 + len);
      buf.write(payload, 12, 'utf8');
      buf.writeUInt32LE(len, 0);
      buf.writeUInt32LE(entryBytes(e), 8);
      buf.writeUInt32LE(crc32(buf.subarray(12), crc32(buf.subarray(8, 12))), 4);
      return buf;
    };
    const old = [1, 2, 3].map((n) => event(n));
    writeFileSync(join(dir, 'seg-000000000001.log'), Buffer.concat(old.map(oldFrame)));
    const { b, deadLetters } = await openDisk(dir);
    expect(b.events).toBe(3);
    await b.push([entry(4)]);
    const batch = (await read(b))!;
    expect(ids(batch.entries)).toEqual([1, 2, 3, 4]);
    expect(batch.entries.map((e) => ({ meta: e.event.meta, body: e.event.body }))).toEqual([...old, event(4)]);
    expect(batch.entries.map((e) => e.event.json)).toEqual([...old, event(4)].map((e) => JSON.stringify(e.body)));
    expect(batch.entries.map((e) => e.bytes)).toEqual([...old, event(4)].map(entryBytes));
    expect(deadLetters).toEqual([]);
    await b.ack(batch);
    expect(b.isEmpty()).toBe(true);
    await b.close();
    // The new frame starts with its format byte, never "{", so the two cannot be confused.
    const current = readdirSync(dir).filter((n) => n.startsWith('seg-')).sort();
    expect(current).toHaveLength(1); // the old segment was fully acked and deleted
    expect(readFileSync(join(dir, current[0]!))[12]).toBe(0x03);
  });
});

// What a disk buffer stores and what a read hands the sinks: the meta as binary fields (every
// field back as it went in, optional ones absent when absent), the body as the bytes of its JSON
// text (decoded only if a sink asks), frames of the previous format still read, and ack.json as
// one fixed-size record overwritten in place.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { BufferEntry } from '../../src/core/buffers/buffer.js';
import { DiskBuffer } from '../../src/core/buffers/disk.js';
import type { DeadLetterInput } from '../../src/core/dead-letter.js';
import { toSinkEvent, transientBody, type EventMeta, type SinkEvent } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { encodeNdjson } from '../../src/sinks/file.js';
import { createHecEncoder, isBlankEvent } from '../../src/sinks/splunk-hec/encode.js';
import { tempDir } from '../support/probe.js';

async function openDisk(dir: string) {
  const deadLetters: Omit<DeadLetterInput, 'component'>[] = [];
  const b = await DiskBuffer.open({ sink: 's', dir, maxBytes: 1 << 30, segmentBytes: 1 << 20, whenFull: 'block', metrics: createMetrics(), deadLetter: async (d) => void deadLetters.push(d), warn: () => undefined });
  return { b, deadLetters };
}
const readAll = async (b: DiskBuffer) => (await b.read({ maxEvents: 1e6, maxBytes: 1 << 30, maxWaitMs: 0, signal: new AbortController().signal }))!;
const entryOf = (meta: EventMeta, body: Record<string, unknown>): BufferEntry => {
  const event = toSinkEvent({ meta, body });
  return { event, bytes: event.bytes };
};
/** Writes `entries`, then reads them back in a fresh buffer (a restart: nothing served from memory). */
async function roundTrip(entries: BufferEntry[]): Promise<{ events: SinkEvent[]; written: Buffer }> {
  const dir = tempDir();
  const { b } = await openDisk(dir);
  await b.push([...entries]);
  await b.close();
  const written = readFileSync(join(dir, readdirSync(dir).find((n) => n.startsWith('seg-'))!));
  const { b: again, deadLetters } = await openDisk(dir);
  const batch = await readAll(again);
  expect(deadLetters).toEqual([]);
  const events = batch.entries.map((e) => e.event);
  await again.ack(batch);
  await again.close();
  return { events, written };
}

const full: EventMeta = { id: 'acme:audit_log:9007199254740993', account: 'acmé-ünïcode', stream: 'audit_log', time: 1_767_225_600_123.5, schema: 'ocsf', sourcetype: 'zendesk:audit', severity: 0, classUid: 3005 };
const bare: EventMeta = { id: 'b:access_log:01JABCDEF', account: 'b', stream: 'access_log', time: -1, schema: 'zendesk' };

describe('DiskBuffer frames', () => {
  it('writes the meta as binary fields and reads every field back, optional ones absent when they were', async () => {
    const { events, written } = await roundTrip([entryOf(full, { a: 1 }), entryOf(bare, { b: '☃' }), entryOf({ ...bare, id: 'b:access_log:2', severity: 6 }, {})]);
    expect(events.map((e) => e.meta)).toEqual([full, bare, { ...bare, id: 'b:access_log:2', severity: 6 }]);
    expect(Object.keys(events[1]!.meta).sort()).toEqual(['account', 'id', 'schema', 'stream', 'time']);
    expect(Object.keys(events[2]!.meta)).not.toContain('classUid');
    // The frames hold no JSON meta: format byte 0x03, and no '"id":' anywhere in the segment.
    expect(written[12]).toBe(0x03);
    expect(written.includes('"id":')).toBe(false);
  });

  it('hands the body as the bytes of its JSON text, decoded only when a sink asks for the text', async () => {
    const body = { id: 1, text: 'ünïcödé ☃ 𝄞', nested: { a: [1, 2, 3] } };
    const original = entryOf(full, body);
    const { events } = await roundTrip([original]);
    const [e] = events;
    expect(e!.utf8).toBeInstanceOf(Buffer);
    expect(e!.utf8!.equals(Buffer.from(original.event.json))).toBe(true);
    expect(e!.bytes).toBe(original.event.bytes);
    expect(Object.hasOwn(e!, 'body')).toBe(false);
    expect(e!.json).toBe(original.event.json);
    expect(transientBody(e!)).toEqual(body);
    expect(Object.hasOwn(e!, 'body')).toBe(false); // transientBody kept no parse on the event
    expect(e!.body).toEqual(body);
  });

  it('builds HEC and NDJSON bodies from the bytes identical to those built from the text', async () => {
    const originals = [entryOf(full, { a: 'é', b: [1, { c: null }] }), entryOf(bare, {}), entryOf({ ...full, id: 'x:y:3' }, { text: '𝄞'.repeat(40) })];
    const { events } = await roundTrip(originals);
    const fromText = originals.map((o) => o.event);
    const hec = createHecEncoder({ source: 'zendesk:{{meta.account}}', host: 'h', fields: { stream: '{{meta.stream}}' } } as never);
    const eventBody = (es: SinkEvent[]) => hec.eventBody(es, 1 << 20) as { body: Buffer };
    const rawBody = (es: SinkEvent[]) => hec.rawBody(es, 1 << 20) as { body: Buffer };
    expect(eventBody(events).body.toString()).toBe(eventBody(fromText).body.toString());
    expect(rawBody(events).body.toString()).toBe(rawBody(fromText).body.toString());
    expect(encodeNdjson(events, false).equals(encodeNdjson(fromText, false))).toBe(true);
    expect(events.map(isBlankEvent)).toEqual([false, true, false]);
  });

  it('still reads frames with a JSON meta (format 0x02, written before 2026-12-01)', async () => {
    const dir = tempDir();
    // A frame exactly as the previous version's encodeFrames wrote it.
    const frame = (meta: EventMeta, json: string): Buffer => {
      const m = JSON.stringify(meta);
      const metaBytes = Buffer.byteLength(m);
      const bodyBytes = Buffer.byteLength(json);
      const len = 5 + metaBytes + bodyBytes;
      const buf = Buffer.alloc(12 + len);
      buf.writeUInt32LE(len, 0);
      buf.writeUInt32LE(bodyBytes, 8);
      buf[12] = 0x02;
      buf.writeUInt32LE(metaBytes, 13);
      buf.write(m, 17);
      buf.write(json, 17 + metaBytes);
      buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
      return buf;
    };
    writeFileSync(join(dir, 'seg-000000000001.log'), Buffer.concat([frame(full, '{"a":"é"}'), frame(bare, '[1]')]));
    const { b, deadLetters } = await openDisk(dir);
    await b.push([entryOf(bare, { after: true })]);
    const batch = await readAll(b);
    expect(deadLetters).toEqual([]);
    expect(batch.entries.map((e) => [e.event.meta, e.event.json, e.bytes])).toEqual([
      [full, '{"a":"é"}', 10],
      [bare, '[1]', 3],
      [bare, '{"after":true}', 14],
    ]);
    await b.ack(batch);
    await b.close();
  });

  it('dead-letters a frame whose checksum holds but whose meta does not add up, and delivers the rest', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir);
    await b.push([entryOf(bare, { n: 1 }), entryOf(full, { n: 2 })]);
    await b.close();
    const seg = join(dir, readdirSync(dir).find((n) => n.startsWith('seg-'))!);
    const bytes = readFileSync(seg);
    // Frame 1: claim a 3-byte longer id than was written (the meta then runs short), and re-seal the checksum.
    const idLengthAt = 12 + 5 + 1 + 8; // header, format + meta length, flags, time (no severity, classUid)
    bytes.writeUInt32LE(bytes.readUInt32LE(idLengthAt) + 3, idLengthAt);
    bytes.writeUInt32LE(crc32(bytes.subarray(8, 12 + bytes.readUInt32LE(0))), 4);
    writeFileSync(seg, bytes);
    const { b: again, deadLetters } = await openDisk(dir);
    const batch = await readAll(again);
    expect(batch.entries.map((e) => e.event.body)).toEqual([{ n: 2 }]);
    expect(deadLetters).toEqual([expect.objectContaining({ reason: 'buffer_corrupt_record', detail: expect.stringContaining('undecodable record') })]);
    await again.ack(batch);
    await again.close();
  });
});

describe('DiskBuffer ack.json', () => {
  const ackFile = (dir: string) => readFileSync(join(dir, 'ack.json'), 'utf8');
  const entries = (n: number) => Array.from({ length: n }, (_, i) => entryOf({ ...bare, id: `b:access_log:${i}` }, { i }));

  it('keeps the ack position as one fixed-size record, overwritten in place as batches are acked', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir);
    await b.push(entries(10));
    const first = (await b.read({ maxEvents: 4, maxBytes: 1 << 30, maxWaitMs: 0, signal: new AbortController().signal }))!;
    await b.ack(first);
    const afterFirst = ackFile(dir);
    const second = (await b.read({ maxEvents: 3, maxBytes: 1 << 30, maxWaitMs: 0, signal: new AbortController().signal }))!;
    await b.ack(second);
    const afterSecond = ackFile(dir);
    await b.close();
    for (const text of [afterFirst, afterSecond]) {
      expect(Buffer.byteLength(text)).toBe(96);
      expect(text.endsWith('\n')).toBe(true);
    }
    const [p1, p2] = [afterFirst, afterSecond].map((t) => JSON.parse(t) as { segment: number; offset: number });
    expect(p2!.segment).toBe(p1!.segment);
    expect(p2!.offset).toBeGreaterThan(p1!.offset);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);

    const { b: again } = await openDisk(dir); // resumes after the 7 acked events
    const rest = await readAll(again);
    expect(rest.entries.map((e) => e.event.meta.id)).toEqual([7, 8, 9].map((i) => `b:access_log:${i}`));
    await again.ack(rest);
    await again.close();
  });

  it('replays from the oldest segment, never skips, when the record does not match its check (a write torn between two positions)', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir);
    await b.push(entries(6));
    const first = (await b.read({ maxEvents: 2, maxBytes: 1 << 30, maxWaitMs: 0, signal: new AbortController().signal }))!;
    await b.ack(first);
    await b.close();
    const rec = JSON.parse(ackFile(dir)) as { segment: number; offset: number; check: number };
    // The new record's segment with a larger offset from elsewhere: parseable, and ahead of the ack.
    writeFileSync(join(dir, 'ack.json'), JSON.stringify({ ...rec, offset: rec.offset + 1 }).padEnd(95) + '\n');
    const { b: again } = await openDisk(dir);
    const all = await readAll(again);
    expect(all.entries.map((e) => e.event.meta.id)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `b:access_log:${i}`));
    await again.ack(all);
    await again.close();
  });

  it('resumes from an ack.json an earlier version wrote (short, unpadded) and rewrites it in the fixed size', async () => {
    const dir = tempDir();
    const { b } = await openDisk(dir);
    await b.push(entries(5));
    const first = (await b.read({ maxEvents: 2, maxBytes: 1 << 30, maxWaitMs: 0, signal: new AbortController().signal }))!;
    await b.ack(first);
    await b.close();
    const { segment, offset, check } = JSON.parse(ackFile(dir)) as { segment: number; offset: number; check: number };
    const pos = { segment, offset };
    writeFileSync(join(dir, 'ack.json'), JSON.stringify(pos) + '\n'); // as the rename-based version left it
    const { b: again } = await openDisk(dir);
    expect(Buffer.byteLength(ackFile(dir))).toBe(96);
    expect(JSON.parse(ackFile(dir))).toEqual({ ...pos, check });
    const rest = await readAll(again);
    expect(rest.entries.map((e) => e.event.meta.id)).toEqual([2, 3, 4].map((i) => `b:access_log:${i}`));
    await again.ack(rest);
    await again.close();
  });
});

// The disk buffer's group commit and its durability contract, with the fdatasync replaced by
// a hook the test holds: what is written while a sync runs waits for one following sync, and
// nothing is acknowledged upstream before the sync that covers it has completed.

import { cpSync, readdirSync, statSync, truncateSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BufferEntry } from '../../src/core/buffers/buffer.js';
import { DiskBuffer, TAIL_CACHE_BYTES } from '../../src/core/buffers/disk.js';
import { toSinkEvent } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { eventually } from '../support/eventually.js';
import { metric } from '../support/metric.js';
import { settle, tempDir } from '../support/probe.js';

/** A sync the test releases by hand; `calls` counts the syncs asked for. */
function heldSync() {
  const waiting: (() => void)[] = [];
  const state = {
    calls: 0,
    held: () => waiting.length,
    release: () => waiting.splice(0).forEach((r) => r()),
    sync: (fh: FileHandle) => {
      state.calls++;
      return new Promise<void>((resolve) => waiting.push(() => void fh.datasync().then(resolve)));
    },
  };
  return state;
}

const ackCounter = () => {
  const a = { acked: 0, add: () => undefined, ack: (n: number) => void (a.acked += n) };
  return a;
};

function entries(from: number, n: number, ack?: ReturnType<typeof ackCounter>, pad = 30): BufferEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const event = toSinkEvent({ meta: { id: `a:audit_log:${from + i}`, account: 'a', stream: 'audit_log', time: 1_700_000_000_000, schema: 'zendesk' }, body: { id: from + i, text: 'é'.repeat(pad) } });
    return { event, bytes: event.bytes, ...(ack ? { ack } : {}) };
  });
}

const open = (dir: string, sync?: (fh: FileHandle) => Promise<void>, o: { maxBytes?: number; whenFull?: 'block' | 'drop_newest'; metrics?: ReturnType<typeof createMetrics> } = {}) =>
  DiskBuffer.open({ sink: 's', dir, maxBytes: o.maxBytes ?? 1 << 30, segmentBytes: 1 << 20, whenFull: o.whenFull ?? 'block', metrics: o.metrics ?? createMetrics(), deadLetter: async () => undefined, warn: () => undefined, ...(sync ? { sync } : {}) });
const segmentBytes = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('seg-')).reduce((a, n) => a + statSync(join(dir, n)).size, 0);
const readAll = async (b: DiskBuffer) => (await b.read({ maxEvents: 1e6, maxBytes: 1 << 30, maxWaitMs: 0, signal: new AbortController().signal }))!;

describe('DiskBuffer group commit', () => {
  it('covers every push made while a sync runs with one following write and sync', async () => {
    const dir = tempDir();
    const s = heldSync();
    const b = await open(dir, s.sync);
    const first = b.push(entries(0, 5));
    await eventually(() => s.held() === 1, 'the first sync');
    // Five upstream batches arrive while the first sync is held.
    const acks = Array.from({ length: 5 }, () => ackCounter());
    const later = acks.map((a, i) => b.push(entries(100 * (i + 1), 20, a)));
    await settle(10);
    expect(s.calls).toBe(1); // nothing else is synced while the first sync runs
    s.release();
    await first;
    await eventually(() => s.held() === 1, 'the group sync');
    expect(s.calls).toBe(2); // one sync for all five
    expect(acks.map((a) => a.acked)).toEqual([0, 0, 0, 0, 0]);
    s.release();
    await Promise.all(later);
    expect(acks.map((a) => a.acked)).toEqual([20, 20, 20, 20, 20]);
    expect(s.calls).toBe(2);
    const batch = await readAll(b);
    expect(batch.entries.map((e) => e.event.meta.id)).toEqual([0, 1, 2, 3, 4, ...[100, 200, 300, 400, 500].flatMap((k) => Array.from({ length: 20 }, (_, i) => k + i))].map((n) => `a:audit_log:${n}`));
    await b.ack(batch);
    await b.close();
  });

  it('acknowledges no batch upstream before the sync that covers it has completed', async () => {
    const dir = tempDir();
    const s = heldSync();
    const b = await open(dir, s.sync);
    const ack = ackCounter();
    let resolved = false;
    const pushed = b.push(entries(0, 50, ack)).then(() => (resolved = true));
    await eventually(() => s.held() === 1, 'the sync');
    expect(segmentBytes(dir)).toBeGreaterThan(0); // written ...
    await settle(10);
    expect(ack.acked).toBe(0); // ... but not yet durable: not acked, push not resolved, not readable
    expect(resolved).toBe(false);
    expect(b.events).toBe(0);
    s.release();
    await pushed;
    expect(ack.acked).toBe(50);
    expect(b.events).toBe(50);
    await b.close();
  });

  it('loses nothing acknowledged upstream when a crash cuts the frames written after the last sync', async () => {
    const dir = tempDir();
    const s = heldSync();
    const b = await open(dir, s.sync);
    const durable = ackCounter();
    const p1 = b.push(entries(0, 30, durable));
    await eventually(() => s.held() === 1, 'the first sync');
    s.release();
    await p1;
    const syncedBytes = segmentBytes(dir);
    const lost = ackCounter();
    void b.push(entries(100, 30, lost));
    await eventually(() => s.held() === 1 && segmentBytes(dir) > syncedBytes, 'the second write');
    // A power loss now may drop everything after the last completed sync: copy the directory
    // as such a crash could leave it, then let the live buffer finish.
    const crashed = tempDir();
    cpSync(dir, crashed, { recursive: true });
    const seg = readdirSync(crashed).filter((n) => n.startsWith('seg-')).sort().at(-1)!;
    truncateSync(join(crashed, seg), statSync(join(crashed, seg)).size - (segmentBytes(dir) - syncedBytes));
    expect(durable.acked).toBe(30);
    expect(lost.acked).toBe(0); // the upstream checkpoint never moved past these: the source reads them again
    s.release();
    await eventually(() => lost.acked === 30, 'the second sync');
    await b.close();

    const again = await open(crashed);
    expect(again.events).toBe(30);
    const batch = await readAll(again);
    expect(batch.entries.map((e) => e.event.meta.id)).toEqual(Array.from({ length: 30 }, (_, i) => `a:audit_log:${i}`));
    await again.ack(batch);
    await again.close();
  });
});

describe('DiskBuffer write failure', () => {
  it('rejects every push of a group whose sync fails, and acks none of it', async () => {
    const dir = tempDir();
    const b = await open(dir, () => Promise.reject(new Error('EIO: the disk went away')));
    const ack = ackCounter();
    await expect(b.push(entries(0, 3, ack))).rejects.toThrow('EIO');
    expect(ack.acked).toBe(0);
    expect(b.events).toBe(0);
    await b.close();
  });
});

describe('DiskBuffer drop_newest', () => {
  it('writes the frames of a push that fit, drops and acks the rest, and counts them', async () => {
    const dir = tempDir();
    const metrics = createMetrics();
    const b = await open(dir, undefined, { maxBytes: 1024 * 1024, whenFull: 'drop_newest', metrics });
    const ack = ackCounter();
    // ~200 KB each (2 bytes per é): five fit under 1 MiB, the other three do not.
    await b.push(entries(0, 8, ack, 100_000));
    expect(ack.acked).toBe(8); // written or dropped: the upstream batch is not held up either way
    expect(await metric(metrics, 'zsf_events_dropped_total', { sink: 's' })).toBe(3);
    expect(b.events).toBe(5);
    const batch = await readAll(b);
    expect(batch.entries.map((e) => e.event.meta.id)).toEqual([0, 1, 2, 3, 4].map((n) => `a:audit_log:${n}`));
    await b.ack(batch);
    await b.close();
    const again = await open(dir);
    expect(again.events).toBe(0); // nothing dropped was written
    await again.close();
  });
});

describe('DiskBuffer tail cache', () => {
  it('hands a reader that keeps pace the written events themselves, and reads the file beyond the cache bound', async () => {
    const dir = tempDir();
    const b = await open(dir);
    const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `a:audit_log:${from + i}`);
    const recent = entries(0, 10);
    await b.push(recent);
    const first = await readAll(b);
    // The same objects: nothing was read back from the segment or decoded.
    expect(first.entries.map((e) => e.event)).toEqual(recent.map((e) => e.event));
    first.entries.forEach((e, i) => expect(e.event).toBe(recent[i]!.event));
    await b.ack(first);

    // Far more than the cache holds (each event ~10 KB of JSON): the oldest come from the file.
    const n = Math.ceil((2 * TAIL_CACHE_BYTES) / 10_000);
    const many = entries(1000, n, undefined, 5000);
    for (let i = 0; i < n; i += 200) await b.push(many.slice(i, i + 200));
    const all = await readAll(b);
    expect(all.entries.map((e) => e.event.meta.id)).toEqual(ids(1000, n));
    expect(all.entries.map((e) => e.event.json)).toEqual(many.map((e) => e.event.json));
    const fromCache = all.entries.filter((e, i) => e.event === many[i]!.event).length;
    expect(fromCache).toBeGreaterThan(0);
    expect(fromCache).toBeLessThan(n);
    expect(all.entries[0]!.event).not.toBe(many[0]!.event); // the oldest: decoded from its frame
    expect(all.entries.at(-1)!.event).toBe(many.at(-1)!.event); // the newest: still cached
    await b.ack(all);
    expect(b.isEmpty()).toBe(true);
    await b.close();
  });

  it('serves a restart from the file, not from anything cached before it', async () => {
    const dir = tempDir();
    const b = await open(dir);
    const pushed = entries(0, 20);
    await b.push(pushed);
    await b.close();
    const again = await open(dir);
    const batch = await readAll(again);
    expect(batch.entries.map((e) => e.event.json)).toEqual(pushed.map((e) => e.event.json));
    batch.entries.forEach((e, i) => expect(e.event).not.toBe(pushed[i]!.event));
    await again.ack(batch);
    await again.close();
  });
});

describe('DiskBuffer after a failed write', () => {
  /** The next `failures` syncs fail (the write itself went into the file). */
  function flakySync() {
    const state = { failures: 0, sync: (fh: FileHandle) => (state.failures-- > 0 ? Promise.reject(new Error('EIO: sync failed')) : fh.datasync()) };
    return state;
  }

  it('cuts the frames of the failed write off, so later frames are read back whole and in order', async () => {
    const dir = tempDir();
    const s = flakySync();
    const b = await open(dir, s.sync);
    await b.push(entries(0, 3));
    const size = segmentBytes(dir);
    s.failures = 1;
    await expect(b.push(entries(100, 4))).rejects.toThrow('EIO');
    expect(segmentBytes(dir)).toBe(size); // the rejected frames are not left in the segment
    await b.push(entries(200, 2));
    const ids = (batch: Awaited<ReturnType<typeof readAll>>) => batch.entries.map((e) => e.event.meta.id);
    const want = [0, 1, 2, 200, 201].map((n) => `a:audit_log:${n}`);
    const batch = await readAll(b);
    expect(ids(batch)).toEqual(want);
    await b.close();
    // And a restart reads the same from the file, with nothing torn or damaged in between.
    const again = await open(dir);
    expect(ids(await readAll(again))).toEqual(want);
    await again.close();
  });

  it('refuses every later push when the failed write cannot be cut off', async () => {
    const dir = tempDir();
    let calls = 0;
    // The write's sync fails, and so does the sync after the cut: the tail is unknown.
    const b = await open(dir, (fh) => (++calls >= 2 ? Promise.reject(new Error('EIO: sync failed')) : fh.datasync()));
    await b.push(entries(0, 2));
    await expect(b.push(entries(100, 2))).rejects.toThrow('EIO');
    await expect(b.push(entries(200, 1))).rejects.toThrow(/could not be cut off; no further events are accepted/);
    const batch = await readAll(b);
    expect(batch.entries.map((e) => e.event.meta.id)).toEqual(['a:audit_log:0', 'a:audit_log:1']);
    await b.close();
  });
});

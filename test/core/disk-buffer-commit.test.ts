// The disk buffer's group commit and its durability contract, with the fdatasync replaced by
// a hook the test holds: what is written while a sync runs waits for one following sync, and
// nothing is acknowledged upstream before the sync that covers it has completed.

import { cpSync, readdirSync, statSync, truncateSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BufferEntry } from '../../src/core/buffers/buffer.js';
import { DiskBuffer } from '../../src/core/buffers/disk.js';
import { toSinkEvent } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { eventually } from '../support/eventually.js';
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

function entries(from: number, n: number, ack?: ReturnType<typeof ackCounter>): BufferEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const event = toSinkEvent({ meta: { id: `a:audit_log:${from + i}`, account: 'a', stream: 'audit_log', time: 1_700_000_000_000, schema: 'zendesk' }, body: { id: from + i, text: 'é'.repeat(30) } });
    return { event, bytes: event.bytes, ...(ack ? { ack } : {}) };
  });
}

const open = (dir: string, sync?: (fh: FileHandle) => Promise<void>) =>
  DiskBuffer.open({ sink: 's', dir, maxBytes: 1 << 30, segmentBytes: 1 << 20, whenFull: 'block', metrics: createMetrics(), deadLetter: async () => undefined, warn: () => undefined, ...(sync ? { sync } : {}) });
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

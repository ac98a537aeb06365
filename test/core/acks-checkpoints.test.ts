import { readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { COALESCED_COMMITS, OrderedCommitter } from '../../src/core/acks.js';
import { CheckpointError, checkpointPath, listCheckpoints, loadCheckpoint, resetCheckpoint, saveCheckpoint } from '../../src/core/checkpoints.js';
import { tempDir } from '../support/probe.js';

describe('OrderedCommitter', () => {
  it('commits only the newest checkpoint whose batch and all earlier batches are done', async () => {
    const commits: unknown[] = [];
    const c = new OrderedCommitter(async (cp) => void commits.push(cp));
    const b1 = c.begin('cp1');
    const b2 = c.begin('cp2');
    const b3 = c.begin('cp3');
    for (const b of [b1, b2, b3]) b.add(2);
    for (const b of [b1, b2, b3]) b.seal();
    b3.ack(2); // newest done first: nothing may be committed
    b2.ack(2);
    await c.flush();
    expect(commits).toEqual([]);
    b1.ack(1);
    await c.flush();
    expect(commits).toEqual([]);
    b1.ack(1); // now 1, 2 and 3 are all done: one coalesced commit of cp3
    await c.whenIdle();
    await c.flush();
    expect(commits).toEqual(['cp3']);
    expect(c.inFlight).toBe(0);
  });

  it('does not commit a batch that was not sealed (fan-out still handing it over)', async () => {
    const commits: unknown[] = [];
    const c = new OrderedCommitter(async (cp) => void commits.push(cp));
    const b = c.begin('cp');
    b.add(1);
    b.ack(1);
    await c.flush();
    expect(commits).toEqual([]);
    b.seal();
    await c.flush();
    expect(commits).toEqual(['cp']);
  });

  it('writes at most one commit at a time and always the newest state', async () => {
    const commits: unknown[] = [];
    let release!: () => void;
    let first = true;
    const c = new OrderedCommitter(async (cp) => {
      if (first) {
        first = false;
        await new Promise<void>((r) => (release = r));
      }
      commits.push(cp);
    });
    for (const cp of ['a', 'b', 'c', 'd']) c.begin(cp).seal();
    release();
    await c.flush();
    expect(commits).toEqual(['a', 'd']);
  });

  describe('with a commit policy (coalesced writes)', () => {
    afterEach(() => vi.useRealTimers());
    const settle = () => new Promise<void>((r) => setImmediate(r));

    it('writes once per maxBatches done batches, then flush writes the rest: 10 batches, 3 writes', async () => {
      const commits: unknown[] = [];
      const c = new OrderedCommitter(async (cp) => void commits.push(cp), { maxBatches: 4, maxDelayMs: 3_600_000 });
      for (let i = 1; i <= 10; i++) {
        c.begin(`cp${i}`).seal();
        await settle();
      }
      // Batches 1-4 and 5-8 each reached the count; 9 and 10 wait for the (hour-long) timer.
      expect(commits).toEqual(['cp4', 'cp8']);
      await c.flush();
      expect(commits).toEqual(['cp4', 'cp8', 'cp10']);
      expect(c.committedCount).toBe(3);
    });

    it('writes a lone done batch when maxDelayMs has passed, not before', async () => {
      vi.useFakeTimers();
      const commits: unknown[] = [];
      const c = new OrderedCommitter(async (cp) => void commits.push(cp), { maxBatches: 100, maxDelayMs: 1000 });
      c.begin('a').seal();
      c.begin('b').seal();
      await vi.advanceTimersByTimeAsync(999);
      expect(commits).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(commits).toEqual(['b']);
      // The next batch starts a new delay of its own.
      c.begin('c').seal();
      await vi.advanceTimersByTimeAsync(999);
      expect(commits).toEqual(['b']);
      await vi.advanceTimersByTimeAsync(1);
      expect(commits).toEqual(['b', 'c']);
    });

    it('never writes a checkpoint past a batch still in flight, however many later ones are done', async () => {
      const commits: unknown[] = [];
      const c = new OrderedCommitter(async (cp) => void commits.push(cp), { maxBatches: 2, maxDelayMs: 3_600_000 });
      const slow = c.begin('slow');
      slow.add(1);
      slow.seal();
      for (const cp of ['x', 'y', 'z']) c.begin(cp).seal();
      await c.flush();
      expect(commits).toEqual([]);
      slow.ack(1);
      await c.flush();
      expect(commits).toEqual(['z']);
    });

    it('an abandoned committer writes nothing more, not even from its timer', async () => {
      vi.useFakeTimers();
      const commits: unknown[] = [];
      const c = new OrderedCommitter(async (cp) => void commits.push(cp), { maxBatches: 100, maxDelayMs: 10 });
      c.begin('a').seal();
      c.abandon();
      await vi.advanceTimersByTimeAsync(50);
      await c.flush();
      expect(commits).toEqual([]);
    });
  });

  it('keeps no checkpoint of a done batch but the newest: a long run of pages does not pile up dedupe maps', async () => {
    // A real collection, so the test sees what the heap keeps, not what the code intends to keep.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const commits: unknown[] = [];
    const c = new OrderedCommitter(async (cp) => void commits.push(cp), COALESCED_COMMITS);
    const refs: WeakRef<object>[] = [];
    const pages = 1000; // under the 1024 done batches the queue keeps before it is sliced
    for (let i = 0; i < pages; i++) {
      // What a windowed source hands over per page: a checkpoint with its own dedupe map.
      const checkpoint = { page: i, seen: Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`${i}-${k}`, i])) };
      refs.push(new WeakRef(checkpoint));
      const b = c.begin(checkpoint);
      b.add(1);
      b.seal();
      b.ack(1);
    }
    await c.flush();
    const open = c.begin({ page: pages }); // one batch still in flight: the queue is not emptied
    open.add(1);
    open.seal();
    commits.length = 0; // the test's own record of what was written holds checkpoints too
    await new Promise((r) => setImmediate(r)); // WeakRefs hold their targets until the current job ends
    gc();
    const alive = refs.flatMap((r, i) => (r.deref() ? [i] : []));
    expect(alive).toEqual([pages - 1]); // the newest, which the committer still writes from
    open.ack(1);
    await c.flush();
    expect(commits).toEqual([{ page: pages }]);
  });

  it('rejects acking more than was delivered', () => {
    const c = new OrderedCommitter(async () => undefined);
    const b = c.begin('x');
    b.add(1);
    b.ack(1);
    expect(() => b.ack(1)).toThrow(/acked more than delivered/);
  });
});

describe('checkpoint store', () => {
  it('round-trips atomically and leaves no temp files', async () => {
    const dir = tempDir();
    await saveCheckpoint(dir, 'audit', { cursor: 'abc', seen: [1, 2] }, 1_700_000_000_000, 0);
    const cp = await loadCheckpoint(dir, 'audit');
    expect(cp).toMatchObject({ version: 1, source: 'audit', checkpointTime: 1_700_000_000_000, state: { cursor: 'abc', seen: [1, 2] } });
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['audit.json']);
    expect(await loadCheckpoint(dir, 'missing')).toBeUndefined();
  });

  it('refuses a corrupt checkpoint, naming the file and the reset command', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'checkpoints'));
    writeFileSync(checkpointPath(dir, 'audit'), '{"version":1,"source":"au');
    const err = await loadCheckpoint(dir, 'audit').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toContain(checkpointPath(dir, 'audit'));
    expect((err as Error).message).toContain('zsf checkpoints reset audit');
    writeFileSync(checkpointPath(dir, 'audit'), JSON.stringify({ version: 1, source: 'other', state: {} }));
    await expect(loadCheckpoint(dir, 'audit')).rejects.toThrow(/corrupt/);
  });

  it('lists and resets (keeping a backup)', async () => {
    const dir = tempDir();
    await saveCheckpoint(dir, 'a', { n: 1 }, undefined);
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    writeFileSync(checkpointPath(dir, 'b'), 'garbage');
    const list = await listCheckpoints(dir);
    expect(list.map((c) => [c.source, c.file?.state ?? c.error])).toEqual([
      ['a', { n: 1 }],
      ['b', expect.stringContaining('is corrupt')],
    ]);
    const backup = await resetCheckpoint(dir, 'b');
    expect(backup).toMatch(/b\.json\.reset-/);
    expect(readFileSync(backup!, 'utf8')).toBe('garbage');
    expect(await loadCheckpoint(dir, 'b')).toBeUndefined();
    expect(await resetCheckpoint(dir, 'b')).toBeUndefined();
  });
});

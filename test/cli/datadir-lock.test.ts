// The dataDir lock (src/core/datadir-lock.ts): one holder at a time, a stale lock of a dead
// process is taken over, never one of a live process or of another host, and when several
// processes find the same stale lock at once exactly one of them gets it.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE } from '../../src/core/datadir-lock.js';
import { tempDir } from '../support/probe.js';

/** The pid of a process that has exited (so it is not running any more). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

function writeLock(dir: string, owner: Record<string, unknown>): string {
  const path = join(dir, LOCK_FILE);
  writeFileSync(path, JSON.stringify({ host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'earlier', ...owner }) + '\n');
  return path;
}

describe('dataDir lock', () => {
  it('has one holder at a time, records pid, host and start time, and is free again after release', async () => {
    const dir = tempDir('zsf-lock-');
    const lock = await acquireDataDirLock(dir);
    const onDisk = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ pid: process.pid, host: hostname() });
    expect(Date.parse(String(onDisk.startedAt))).toBeGreaterThan(Date.now() - 60_000);
    const err = await acquireDataDirLock(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toContain(`dataDir ${dir} locked by pid ${process.pid} on ${hostname()}`);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    (await acquireDataDirLock(dir)).release();
  });

  it('takes over the lock of a dead process on this host', async () => {
    const dir = tempDir('zsf-lock-');
    const pid = await deadPid();
    writeLock(dir, { pid });
    const lock = await acquireDataDirLock(dir);
    expect(lock.takenOver).toEqual({ previous: expect.objectContaining({ pid }), reason: `pid ${pid} is not running` });
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, token: lock.owner.token });
    lock.release();
  });

  it('takes over a lock naming its own pid that it did not take (a restarted container reuses pid 1)', async () => {
    const dir = tempDir('zsf-lock-');
    writeLock(dir, { pid: process.pid });
    const lock = await acquireDataDirLock(dir);
    expect(lock.takenOver?.reason).toContain('is this process');
    lock.release();
  });

  it('takes over a lock whose pid is alive but belongs to a process started at another time (pid reused)', async () => {
    if (process.platform !== 'linux') return; // /proc start times
    const dir = tempDir('zsf-lock-');
    writeLock(dir, { pid: process.ppid, procStart: '1' });
    const lock = await acquireDataDirLock(dir);
    expect(lock.takenOver?.reason).toBe(`pid ${process.ppid} now belongs to another process`);
    lock.release();
  });

  it('never takes over the lock of a live process, nor one from another host', async () => {
    const dir = tempDir('zsf-lock-');
    const path = writeLock(dir, { pid: process.ppid }); // alive (our parent), no start time to compare
    await expect(acquireDataDirLock(dir)).rejects.toThrow(`locked by pid ${process.ppid} on ${hostname()}`);
    writeLock(dir, { pid: await deadPid(), host: 'other-host.example' });
    await expect(acquireDataDirLock(dir)).rejects.toThrow(/locked by pid \d+ on other-host\.example/);
    expect(existsSync(path)).toBe(true);
  });

  it('release never removes a lock that someone else took over meanwhile', async () => {
    const dir = tempDir('zsf-lock-');
    const lock = await acquireDataDirLock(dir);
    writeLock(dir, { pid: process.ppid, token: 'someone-else' });
    lock.release();
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ token: 'someone-else' });
  });

  it('a contender that judged a lock stale does not remove the lock another contender took meanwhile', async () => {
    const dir = tempDir('zsf-lock-');
    writeLock(dir, { pid: await deadPid() });
    let first: Awaited<ReturnType<typeof acquireDataDirLock>> | undefined;
    // A finds the stale lock, then B takes it over completely before A goes on.
    const slow = acquireDataDirLock(dir, {
      beforeTakeover: async () => {
        first ??= await acquireDataDirLock(dir);
      },
    });
    await expect(slow).rejects.toThrow(`locked by pid ${process.pid}`);
    expect(first?.takenOver?.reason).toMatch(/is not running/);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ token: first!.owner.token });
    first!.release();
  });

  it('when six processes find the same stale lock at once, exactly one gets it and the others name it', async () => {
    for (let round = 0; round < 2; round++) {
      const dir = tempDir('zsf-lock-race-');
      writeLock(dir, { pid: await deadPid() });
      const go = join(dir, 'go');
      const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', 'test/cli/lock-child.ts', dir, go], { stdio: ['pipe', 'pipe', 'inherit'] }));
      const lines = children.map((c) => createInterface({ input: c.stdout })[Symbol.asyncIterator]());
      try {
        for (const l of lines) expect(JSON.parse(String((await l.next()).value))).toEqual({ ready: true });
        writeFileSync(go, '');
        const results = await Promise.all(lines.map(async (l) => JSON.parse(String((await l.next()).value)) as { pid: number; ok: boolean; message?: string; takenOver?: string }));
        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        const winner = winners[0]!;
        expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: winner.pid });
        for (const r of results.filter((x) => !x.ok)) expect(r.message).toContain(`locked by pid ${winner.pid} on ${hostname()}`);
      } finally {
        for (const c of children) c.stdin.end();
        await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.on('exit', r)))));
      }
    }
  }, 120_000);
});

// One instance per dataDir: `dataDir/zsf.lock`, created with O_EXCL, records who holds it.
// Two instances on one dataDir would share checkpoints and disk buffers and deliver twice, so
// the second one must stop before it reads or sends anything.
//
// A lock left by a dead process (same host, pid not alive) is taken over. Two processes may
// find the same stale lock at once; if both simply unlinked and re-created it, the slower one
// could unlink the lock the faster one had just created, and both would run. So a takeover
// first creates `zsf.lock.takeover-<token of the stale lock>` with O_EXCL: only one process
// can hold the marker of a given stale lock, and under it the lock is read again and removed
// only if it is still that same stale lock. A lock cannot change from one stale content to
// another without the marker of the first, so the check-then-unlink is not racy.

import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  /** Unique per acquisition: tells our lock from a later one with the same pid. */
  token: string;
  /** Linux: the holder's start time in /proc/<pid>/stat, so a reused pid is not taken for the holder. */
  procStart?: string;
}

export interface DataDirLock {
  path: string;
  owner: LockOwner;
  /** Set when a stale lock was taken over to get this one (for the log). */
  takenOver?: { previous: Partial<LockOwner>; reason: string };
  /** Removes the lock if it is still ours; idempotent. */
  release(): void;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: Partial<LockOwner>,
    detail?: string,
  ) {
    super(
      `dataDir ${dataDir} locked by pid ${owner.pid ?? '?'} on ${owner.host ?? '?'}` +
        (owner.startedAt ? ` (since ${owner.startedAt})` : '') +
        (detail ? `; ${detail}` : '; another zsf instance uses it: stop it first, or give this one its own dataDir'),
    );
    this.name = 'DataDirLockedError';
  }
}

export const LOCK_FILE = 'zsf.lock';
/** A lock file still empty or unparseable after this long was left by a crash between create and write. */
const UNWRITTEN_GRACE_MS = 2_000;

// Locks held by this process (several pipelines may run in one process, e.g. in tests): a
// lock file naming our own pid is ours only if we took it; otherwise it was left by an
// earlier process that had the same pid (pid 1 in a restarted container).
const heldHere = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat (start time after boot, in clock ticks); undefined off Linux. */
function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readLock(path: string): { text: string; owner?: LockOwner; mtimeMs: number; ino: number } | undefined {
  let text: string;
  let st;
  try {
    st = statSync(path);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.token === 'string') {
      return { text, owner: o as LockOwner, mtimeMs: st.mtimeMs, ino: st.ino };
    }
  } catch {
    // unwritten or torn: judged below by its age
  }
  return { text, mtimeMs: st.mtimeMs, ino: st.ino };
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(owner) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Why the current lock may be taken over, or undefined when its holder may be alive. */
function staleReason(path: string, lock: NonNullable<ReturnType<typeof readLock>>, now: number): string | undefined {
  const o = lock.owner;
  if (!o) return now - lock.mtimeMs > UNWRITTEN_GRACE_MS ? 'lock file unreadable (left by a crash while it was written)' : undefined;
  if (o.host !== hostname()) return undefined; // cannot see that host's processes
  if (o.pid === process.pid) return heldHere.has(path) ? undefined : `pid ${o.pid} is this process, which did not take it`;
  if (!pidAlive(o.pid)) return `pid ${o.pid} is not running`;
  // In a restarted container the old pid is often taken again, by another process or one of our threads.
  const start = o.procStart !== undefined ? procStart(o.pid) : undefined;
  return start !== undefined && start !== o.procStart ? `pid ${o.pid} now belongs to another process` : undefined;
}

export interface AcquireOptions {
  now?: () => number;
  /** Test seam: runs after a lock was judged stale and before the takeover, to force the race. */
  beforeTakeover?: () => Promise<void>;
}

export async function acquireDataDirLock(dataDir: string, opts: AcquireOptions = {}): Promise<DataDirLock> {
  const now = opts.now ?? Date.now;
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const start = procStart(process.pid);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date(now()).toISOString(), token: randomUUID(), ...(start ? { procStart: start } : {}) };
  let takenOver: DataDirLock['takenOver'];

  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(path, owner)) return held(path, owner, takenOver);
    const current = readLock(path);
    if (!current) continue; // released meanwhile: try again
    const reason = staleReason(path, current, now());
    if (!reason) {
      if (!current.owner && attempt < 20) {
        // Being written right now by another process: give it a moment.
        await pause(20);
        continue;
      }
      throw new DataDirLockedError(dir, current.owner ?? {}, current.owner ? undefined : `the lock file ${path} cannot be read; remove it if no zsf instance uses this dataDir`);
    }
    await opts.beforeTakeover?.();
    const marker = `${path}.takeover-${current.owner?.token ?? `ino${current.ino}`}`;
    if (!tryCreate(marker, owner)) {
      const other = readLock(marker);
      if (other && now() - other.mtimeMs > UNWRITTEN_GRACE_MS * 5) {
        throw new DataDirLockedError(dir, current.owner ?? {}, `a takeover of this stale lock was interrupted; remove ${path} and ${marker} if no zsf instance uses this dataDir`);
      }
      // Another process is taking this stale lock over: see who ends up holding it.
      await pause(10);
      continue;
    }
    try {
      const again = readLock(path);
      if (again && again.text === current.text && again.ino === current.ino) {
        unlinkSync(path);
        takenOver = { previous: current.owner ?? {}, reason };
      }
    } finally {
      unlinkSync(marker);
    }
  }
  const last = readLock(path);
  throw new DataDirLockedError(dir, last?.owner ?? {}, 'could not take the lock after 50 attempts');
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function held(path: string, owner: LockOwner, takenOver: DataDirLock['takenOver']): DataDirLock {
  heldHere.add(path);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    heldHere.delete(path);
    // Only our own lock: never remove one a later instance took over.
    if (readLock(path)?.owner?.token === owner.token) unlinkSync(path);
  };
  // A process that exits without stopping its pipeline (an uncaught error) leaves no lock behind.
  process.on('exit', release);
  return { path, owner, release, ...(takenOver ? { takenOver } : {}) };
}

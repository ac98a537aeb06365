// Durable small-file writes: temp file, fsync, rename, fsync the directory, so a crash
// leaves either the old or the new content, never a torn file. Everything under dataDir
// holds customer security records or positions in them: files are created 0600 and
// directories 0700 (the umask can only make them stricter), never world-readable.

import { chmod, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * mkdir -p with 0700 for every directory it creates; an existing directory that is open to
 * group or others (e.g. written by an older version) is tightened to its owner bits.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const mode = (await stat(dir)).mode & 0o777;
  if (mode & 0o077) await chmod(dir, mode & PRIVATE_DIR_MODE);
}

/** Removes group/other bits from a file opened for appending that may predate this version. */
export async function tightenFileMode(fh: FileHandle): Promise<void> {
  const mode = (await fh.stat()).mode & 0o777;
  if (mode & 0o077) await fh.chmod(mode & PRIVATE_FILE_MODE);
}

const TEMP_NAME = /^\.(.+)\.(\d+)\.tmp$/;

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

/**
 * `durable: false` keeps the atomic rename but skips both fsyncs: a process crash still leaves
 * the old or the new file, and only a power loss can lose the last update. For state whose
 * loss only means re-delivery (the disk buffer's ack position), that is the right trade.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, opts: { durable?: boolean } = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  await ensurePrivateDir(dir);
  const tmp = tempPath(path);
  const fh = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    await tightenFileMode(fh); // a temp file left by a killed process with our pid may be older
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (durable) await fsyncDir(dir);
}

/**
 * Deletes temp files of writeFileAtomic left in `dir` by a process that was killed between
 * open and rename. Called at start, before this process writes there, so every temp file is
 * stale, whatever its pid (in a container every run is pid 1). The committed file is intact:
 * a temp file never replaced it. Returns the names removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const stale = names.filter((n) => TEMP_NAME.test(n));
  for (const n of stale) await rm(join(dir, n), { force: true });
  return stale;
}

export async function fsyncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

// Durable small-file writes: temp file, fsync, rename, fsync the directory, so a crash
// leaves either the old or the new content, never a torn file.

import { mkdir, open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * `durable: false` keeps the atomic rename but skips both fsyncs: a process crash still leaves
 * the old or the new file, and only a power loss can lose the last update. For state whose
 * loss only means re-delivery (the disk buffer's ack position), that is the right trade.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, opts: { durable?: boolean } = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (durable) await fsyncDir(dir);
}

export async function fsyncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

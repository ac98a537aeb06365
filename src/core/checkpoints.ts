// One checkpoint file per source under dataDir/checkpoints/. A corrupt file stops that
// source with a message that names the file and the way out; it never silently restarts
// from scratch (that would re-ship or skip a whole history).

import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTempFiles, writeFileAtomic } from './fs-atomic.js';

export interface CheckpointFile {
  version: 1;
  source: string;
  updatedAt: string;
  /** Upstream time reached (epoch ms), when the source reports one. */
  checkpointTime?: number;
  state: unknown;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function checkpointDir(dataDir: string): string {
  return join(dataDir, 'checkpoints');
}

export function checkpointPath(dataDir: string, source: string): string {
  return join(checkpointDir(dataDir), `${source}.json`);
}

/** Removes temp checkpoint files left by a process killed mid-write (the committed file is intact). */
export async function removeStaleCheckpointTemps(dataDir: string): Promise<string[]> {
  return removeStaleTempFiles(checkpointDir(dataDir));
}

export async function loadCheckpoint(dataDir: string, source: string): Promise<CheckpointFile | undefined> {
  const path = checkpointPath(dataDir, source);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(err as Error).message}`);
  }
  const fix = `inspect it, or run \`zsf checkpoints reset ${source} --config <file>\` to start this source again from its startTime`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CheckpointError(`checkpoint ${path} is corrupt (not valid JSON); ${fix}`);
  }
  const cp = parsed as Partial<CheckpointFile>;
  if (!cp || typeof cp !== 'object' || cp.version !== 1 || cp.source !== source || !('state' in cp)) {
    throw new CheckpointError(`checkpoint ${path} is corrupt (expected {"version":1,"source":"${source}","state":...}); ${fix}`);
  }
  return cp as CheckpointFile;
}

export async function saveCheckpoint(dataDir: string, source: string, state: unknown, checkpointTime: number | undefined, now = Date.now()): Promise<void> {
  const file: CheckpointFile = { version: 1, source, updatedAt: new Date(now).toISOString(), ...(checkpointTime !== undefined ? { checkpointTime } : {}), state };
  await writeFileAtomic(checkpointPath(dataDir, source), JSON.stringify(file, null, 2) + '\n');
}

export async function listCheckpoints(dataDir: string): Promise<{ source: string; file?: CheckpointFile; error?: string }[]> {
  let names: string[];
  try {
    names = (await readdir(checkpointDir(dataDir))).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out = [];
  for (const n of names.sort()) {
    const source = n.slice(0, -5);
    try {
      out.push({ source, file: await loadCheckpoint(dataDir, source) });
    } catch (err) {
      out.push({ source, error: (err as Error).message });
    }
  }
  return out;
}

/** Moves the checkpoint aside (kept as a backup) so the source starts again from its startTime. */
export async function resetCheckpoint(dataDir: string, source: string, now = Date.now()): Promise<string | undefined> {
  const path = checkpointPath(dataDir, source);
  const backup = `${path}.reset-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  try {
    await rename(path, backup);
    return backup;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

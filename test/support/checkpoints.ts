// What a source committed, read from its checkpoint file as a restarted process would read it.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The committed state of `source` under `dataDir`, or undefined when nothing was committed yet. */
export function checkpointOf(dataDir: string, source: string): Record<string, unknown> | undefined {
  const f = join(dataDir, 'checkpoints', `${source}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { state: Record<string, unknown> }).state : undefined;
}

/** The generator source's committed position (`state.next`), or undefined before its first commit. */
export function checkpointNext(dataDir: string, source = 'gen'): number | undefined {
  return checkpointOf(dataDir, source)?.next as number | undefined;
}

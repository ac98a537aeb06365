// Each test works in its own directory under the OS temp folder, so runs never share state.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new empty directory under the OS temp folder, its name starting with `prefix`. */
export function tempDir(prefix = 'zsf-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

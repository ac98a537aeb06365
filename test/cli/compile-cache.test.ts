// The CLI turns Node's compile cache on (Node >= 22.1, the image's Node) before it loads the rest
// of itself, in Node's default folder (<tmpdir>/node-compile-cache) unless NODE_COMPILE_CACHE
// names another; NODE_DISABLE_COMPILE_CACHE=1 keeps it off. Node 20 has no such cache: there the
// CLI starts all the same and writes nothing. CI runs this file on Node 26 too (.ci/run).

import module from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCaptured } from '../support/child-process.js';
import { tempDir } from '../support/probe.js';

const NODE_HAS_COMPILE_CACHE = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

/** `zsf --version` from source with TMPDIR set to a fresh folder; returns the compile cache's files under it. */
async function versionWith(env: Record<string, string>): Promise<{ version: string; cacheFiles: string[] }> {
  const tmp = tempDir('zsf-compile-cache-');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, ...env };
  delete childEnv.NODE_COMPILE_CACHE;
  if (!('NODE_DISABLE_COMPILE_CACHE' in env)) delete childEnv.NODE_DISABLE_COMPILE_CACHE;
  const { code, stdout, stderr } = await spawnCaptured(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], { env: childEnv }).closed;
  expect(code, stderr).toBe(0);
  const cache = join(tmp, 'node-compile-cache');
  const cacheFiles = existsSync(cache) ? readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : [];
  return { version: stdout.trim(), cacheFiles };
}

describe('compile cache', () => {
  it(`zsf ${NODE_HAS_COMPILE_CACHE ? 'fills' : 'starts without'} <tmpdir>/node-compile-cache on Node ${process.versions.node}`, async () => {
    const r = await versionWith({});
    expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
    if (NODE_HAS_COMPILE_CACHE) expect(r.cacheFiles.length).toBeGreaterThan(50); // the program's modules, not just the entry
    else expect(r.cacheFiles).toEqual([]);
  }, 60_000);

  it('NODE_DISABLE_COMPILE_CACHE=1 keeps it off', async () => {
    const r = await versionWith({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.cacheFiles).toEqual([]);
  }, 60_000);
});

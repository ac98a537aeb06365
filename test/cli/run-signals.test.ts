// `zsf run` as a real process: SIGTERM stops the sources, drains the memory buffer, commits
// and exits 0; everything the committed checkpoint covers is in the output.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnZsf } from '../support/child-process.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/probe.js';

describe('zsf run and signals', () => {
  it('drains, commits and exits 0 on SIGTERM', async () => {
    const dir = tempDir('zsf-sigterm-');
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'dataDir: ./data',
        'api: { enabled: false }',
        'log: { level: info }',
        'sources:',
        '  - { id: gen, type: generator, count: 10000000, batchSize: 200, ratePerSecond: 20000 }',
        'sinks:',
        '  - { id: out, type: file, inputs: [gen], path: ./out.ndjson, buffer: { type: memory, maxEvents: 5000 } }',
        '',
      ].join('\n'),
    );
    const run = spawnZsf(['run', '--config', config]);
    // Wait until records are flowing and a checkpoint has been committed.
    const cp = join(dir, 'data', 'checkpoints', 'gen.json');
    await eventually(() => existsSync(cp), 'a committed checkpoint', 30_000);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    const out = run.out() + run.err();
    expect(out).toContain('"msg":"stopping pipeline"');
    expect(out).toContain('"msg":"pipeline stopped"');
    const next = (JSON.parse(readFileSync(cp, 'utf8')) as { state: { next: number } }).state.next;
    const ids = new Set(readFileSync(join(dir, 'out.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: number }).id));
    expect(next).toBeGreaterThan(0);
    expect(next).toBeLessThan(10_000_000);
    // The commit covers only what reached the file: ids 0..next-1 are all there.
    const missing = [];
    for (let i = 0; i < next; i++) if (!ids.has(i)) missing.push(i);
    expect(missing).toEqual([]);
  }, 60_000);
});

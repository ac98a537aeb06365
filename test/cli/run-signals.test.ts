// `zsf run` as a real process: SIGTERM stops the sources, drains the memory buffer, commits
// and exits 0; everything the committed checkpoint covers is in the output.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until records are flowing and a checkpoint has been committed.
    const cp = join(dir, 'data', 'checkpoints', 'gen.json');
    const deadline = Date.now() + 30_000;
    while (!existsSync(cp) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(cp)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
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

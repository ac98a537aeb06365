// The delivery contract under SIGKILL: a child runs generator -> disk buffer -> file sink and
// is killed at seeded random moments, then restarted. At the end every id is in the output
// and the duplicates stay within the in-flight bound.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../support/random.js';
import { readDeadLetters, tempDir } from '../support/probe.js';

// The generator is paced at 5,000 records/s and every kill lands within 300 ms of the start,
// so no round can finish its 40,000 records before its kill: all 24 kills happen on any machine.
const COUNT = 40_000;
const KILLS = 24;
// Per crash: source batches handed to the disk buffer but not yet committed (the commit is
// coalesced, at most a few batches of 50) + sink batches written but not yet acked in the
// buffer (concurrency 1, batches of 100, ack.json written after each). See docs/ARCHITECTURE.md.
const IN_FLIGHT_BOUND = 4 * 50 + 2 * 100;

function runChild(dataDir: string, killAfterMs: number | null): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/crash-child.ts', dataDir, String(COUNT)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // The kill moment is measured from the pipeline's start, not the process's (tsx startup varies).
      if (killAfterMs !== null && out.includes('started') && !child.killed) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('crash safety', () => {
  it(`loses nothing across ${KILLS} SIGKILLs at random moments and bounds duplicates`, async () => {
    const dataDir = tempDir('zsf-crash-');
    const random = mulberry32(20261122);
    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      const r = await runChild(dataDir, 20 + Math.floor(random() * 280));
      if (r.signal === 'SIGKILL') killed++;
      else expect.fail(`round ${i} ended before its kill: ${r.code} ${r.out}`);
    }
    const final = await runChild(dataDir, null);
    expect(final.code, final.out).toBe(0);

    const lines = readFileSync(join(dataDir, 'out.ndjson'), 'utf8').split('\n').filter(Boolean);
    const ids = lines.map((l) => (JSON.parse(l) as { id: number }).id);
    const unique = new Set(ids);
    const missing = Array.from({ length: COUNT }, (_, i) => i).filter((i) => !unique.has(i));
    expect(missing).toEqual([]);
    expect(unique.size).toBe(COUNT);
    const duplicates = ids.length - unique.size;
    expect(killed).toBe(KILLS);
    expect(duplicates).toBeLessThanOrEqual(killed * IN_FLIGHT_BOUND);
    // Torn buffer tails are dead-lettered, never silently dropped; their events are re-fetched
    // (the checkpoint never passed them), so they are not missing above.
    for (const d of readDeadLetters(dataDir)) expect(d.reason).toBe('buffer_torn_record');
    console.log(`crash test: ${killed} kills, ${ids.length} lines, ${duplicates} duplicates (bound ${killed * IN_FLIGHT_BOUND}), ${readDeadLetters(dataDir).length} torn tails`);
  }, 300_000);
});

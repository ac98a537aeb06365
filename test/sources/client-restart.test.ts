// The request budget across restarts: a child process reads three Zendesk streams from the
// simulator (run here, so it outlives every child) and is SIGKILLed at seeded random moments,
// 20 times. A fresh process must not spend a budget the killed one already used: the
// simulator answers 429 to the first request over a limit, and must answer none.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { tempDir } from '../support/probe.js';
import { mulberry32 } from '../support/random.js';

const KILLS = 20;
// Zendesk's minute, scaled down on both sides; still longer than a process restart, so a
// fresh process usually starts inside the window its predecessor spent.
const WINDOW_MS = 5000;

let sim: Simulator | undefined;
afterAll(async () => {
  await sim?.close();
});

function runChild(dataDir: string, url: string, startTime: string, killAfterMs: number): Promise<{ signal: NodeJS.Signals | null; out: string; startedAt: number; endedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/zendesk-crash-child.ts', dataDir, url, String(WINDOW_MS), startTime], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let startedAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!startedAt && out.includes('started')) {
        startedAt = Date.now();
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ signal, out, startedAt, endedAt: Date.now() }));
  });
}

describe('Zendesk request budget across restarts', () => {
  it(`causes no 429 across ${KILLS} SIGKILLs at random moments`, async () => {
    sim = await startSimulator({
      seed: 11,
      data: { auditLogs: 40_000, accessLogs: 40_000, ticketEvents: 2000 },
      limits: { enabled: true, windowMs: WINDOW_MS, accountPerMinute: 20, accessLogsPerMinute: 10, incrementalPerMinute: 10 },
    });
    const dataDir = tempDir('zsf-rate-restart-');
    const startTime = new Date(sim.timeRange.start * 1000 - 60_000).toISOString();
    const random = mulberry32(20261130);
    const rounds: { startedAt: number; endedAt: number }[] = [];
    for (let i = 0; i < KILLS; i++) {
      const r = await runChild(dataDir, sim.url, startTime, 200 + Math.floor(random() * 800));
      expect(r.signal, r.out).toBe('SIGKILL');
      rounds.push(r);
    }
    const statePath = join(dataDir, 'zendesk', 'acme.ratelimit.json');
    expect(existsSync(statePath)).toBe(true);
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({ version: 1, clean: false });

    const requests = sim.requests.filter((r) => r.endpoint !== null);
    const perRound = rounds.map((r, i) => requests.filter((q) => q.time > (rounds[i - 1]?.endedAt ?? 0) && q.time <= r.endedAt).length);
    const windows = (rounds[rounds.length - 1]!.endedAt - rounds[0]!.startedAt) / WINDOW_MS;
    console.log(`restart test: ${KILLS} kills over ${windows.toFixed(1)} windows, ${requests.length} requests (per round ${perRound.join(' ')}), ${sim.counters.tooManyRequests} × 429`);
    // The test has teeth only if most processes really spent budget before they were killed
    // (without the persisted budget this run gets 429s: see the report in docs/ARCHITECTURE.md).
    expect(perRound.filter((n) => n > 0).length).toBeGreaterThanOrEqual(KILLS / 2);
    expect(requests.length).toBeGreaterThan(KILLS * 3);
    expect(sim.counters.tooManyRequests).toBe(0);
    expect(sim.retryAfterViolations).toEqual([]);
  }, 300_000);
});

// What the Zendesk source tests share: an account on the simulator, a pipeline of Zendesk
// sources into a probe sink, and the exactly-once check.

import { expect } from 'vitest';
import { startPipeline, type Pipeline } from '../../src/app/start.js';
import { DEMO_CREDENTIALS, type Simulator } from '../../src/simulator/index.js';
import { captureLogs, probe, tempDir, type Probe } from './probe.js';

/** A `zendesk.accounts[]` entry for the simulator (demo credentials, budget out of the way). */
export function simAccount(baseUrl: string, name = 'acme', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, baseUrl, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token }, requestsPerMinute: 100_000, ...extra };
}

export interface ZendeskRun {
  sources: Record<string, unknown>[];
  accounts: Record<string, unknown>[];
  probeName: string;
  dataDir?: string;
  once?: boolean;
  now?: () => number;
  api?: { enabled: false } | { listen: string };
}

/** Sources -> probe sink; `--once` unless told otherwise. */
export async function runZendesk(o: ZendeskRun): Promise<{ p: Pipeline; pr: Probe; dataDir: string; logs: string[] }> {
  const dataDir = o.dataDir ?? tempDir('zsf-src-');
  const pr = probe(o.probeName);
  const logs = captureLogs();
  const p = await startPipeline(
    {
      dataDir,
      api: o.api ?? { enabled: false },
      log: { level: 'info' },
      zendesk: { accounts: o.accounts },
      sources: o.sources,
      sinks: [{ id: 'out', type: 'probe', probe: o.probeName, inputs: o.sources.map((s) => s.id as string), batch: { maxEvents: 500 } }],
    },
    { once: o.once ?? true, logDestination: logs.stream, ...(o.now ? { now: o.now } : {}) },
  );
  return { p, pr, dataDir, logs: logs.lines };
}

/** Upstream ids of one stream the probe accepted, in order. */
export const streamIds = (pr: Probe, stream: string): string[] => pr.accepted.filter((e) => e.meta.stream === stream).map((e) => e.meta.id.split(':').pop()!);

/** A start time a minute before the simulator's first record. */
export const startOf = (s: Simulator): string => new Date(s.timeRange.start * 1000 - 60_000).toISOString();

/** 0 lost, 0 duplicates. */
export function expectExactlyOnce(got: string[], want: (string | number)[]): void {
  const seen = new Set(got);
  expect(got.length - seen.size, 'duplicates').toBe(0);
  expect(want.map(String).filter((id) => !seen.has(id)), 'lost').toEqual([]);
  expect(seen.size).toBe(want.length);
}

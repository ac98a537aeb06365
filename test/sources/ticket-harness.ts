// Harness for the ticket-event and deleted-ticket source tests: a simulator and a pipeline on
// one virtual clock. The source's poll waits advance that clock instantly, so minutes of
// following take milliseconds; every other wait (sink retries, shutdown drain) is real.

import { startPipeline, type Pipeline } from '../../src/app/start.js';
import { sleep as realSleep } from '../../src/core/retry.js';
import { DEMO_CREDENTIALS, startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { eventually } from '../support/eventually.js';
import { captureLogs, probe, tempDir, type Probe } from '../support/probe.js';

export interface VirtualClock {
  now(): number;
  advance(ms: number): void;
}

export function virtualClock(start: number): VirtualClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Condition wait, bounded in real time; checked every 2 ms, as the virtual clock runs fast. */
export const until = (pred: () => boolean, what: string, timeoutMs = 20_000): Promise<boolean> => eventually(pred, what, timeoutMs, 2);

export function account(s: Pick<Simulator, 'url'>, name = 'acme') {
  // The client's rate window shrinks with the virtual clock's pace (its minimum, 100 ms).
  return { name, baseUrl: s.url, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token }, requestsPerMinute: 100_000, rateWindow: 100 };
}

export interface Harness {
  p: Pipeline;
  pr: Probe;
  dataDir: string;
  logs: string[];
}

export async function startSim(clock: VirtualClock, opts: SimulatorOptions, open: { close(): Promise<void> }[]): Promise<Simulator> {
  const s = await startSimulator({ seed: 11, now: clock.now, limits: { enabled: false }, ...opts });
  open.push(s);
  return s;
}

/**
 * Starts a pipeline whose sources see `clock`; a source wait of exactly `pollMs` advances the
 * clock by that much (and yields a little real time so the sink keeps up).
 */
export async function runOn(
  clock: VirtualClock,
  o: { sources: Record<string, unknown>[]; accounts: Record<string, unknown>[]; probeName: string; pollMs: number; once?: boolean; dataDir?: string; transforms?: Record<string, unknown>[] },
): Promise<Harness> {
  const dataDir = o.dataDir ?? tempDir('zsf-tickets-');
  const pr = probe(o.probeName);
  const logs = captureLogs();
  const inputs = o.transforms ? o.transforms.map((t) => t.id as string) : o.sources.map((s) => s.id as string);
  const p = await startPipeline(
    {
      dataDir,
      api: { enabled: false },
      log: { level: 'debug' },
      zendesk: { accounts: o.accounts },
      sources: o.sources,
      ...(o.transforms ? { transforms: o.transforms } : {}),
      sinks: [{ id: 'out', type: 'probe', probe: o.probeName, inputs, batch: { maxEvents: 500 } }],
    },
    {
      once: o.once ?? false,
      logDestination: logs.stream,
      now: clock.now,
      sleep: async (ms, signal) => {
        if (ms !== o.pollMs) return realSleep(ms, signal);
        if (signal?.aborted) throw new Error('aborted');
        clock.advance(ms);
        await new Promise((r) => setTimeout(r, 1));
      },
    },
  );
  return { p, pr, dataDir, logs: logs.lines };
}

export { checkpointOf } from '../support/checkpoints.js';

/** Upstream ids of the accepted events of a stream (the part after `account:stream:`). */
export function acceptedIds(pr: Probe, stream: string): string[] {
  return pr.accepted.filter((e) => e.meta.stream === stream).map((e) => e.meta.id.split(':').slice(2).join(':'));
}

/** Lost and duplicated, against the expected ids. */
export function lossAndDuplicates(got: string[], want: string[]): { lost: string[]; duplicates: number; unexpected: string[] } {
  const seen = new Set(got);
  const expected = new Set(want);
  return { lost: want.filter((id) => !seen.has(id)), duplicates: got.length - seen.size, unexpected: [...seen].filter((id) => !expected.has(id)) };
}

export function logLines(logs: string[], msg: string): { level: string; [k: string]: unknown }[] {
  return logs.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.msg === msg);
}

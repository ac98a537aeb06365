// The account budget against the simulator's fixed windows, with the real client: audit logs,
// ticket events and access logs read as fast as the limiter lets them, for a few (scaled)
// windows, once with access-log requests on their own budget (the simulator's default) and
// once counted against the account as well. Zendesk's docs do not say which; both must give
// 0 × 429 and the account budget used in full (less the client's reserve).

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../../src/core/retry.js';
import type { ComponentContext } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { DEMO_CREDENTIALS, startSimulator, type Simulator } from '../../src/simulator/index.js';
import { zendeskAccount } from '../../src/sources/zendesk/account-config.js';
import { ZendeskClient, type GetOptions } from '../../src/sources/zendesk/client.js';

const WINDOW_MS = 2000;
const BUDGET = 10;
/** Complete fixed windows of the simulator's to look at after the first request. */
const WINDOWS = 3;

let sim: Simulator | undefined;
let client: ZendeskClient | undefined;
afterEach(async () => {
  await client?.close();
  await sim?.close();
  client = sim = undefined;
});

async function run(accessLogsCountAgainstAccount: boolean) {
  const s = (sim = await startSimulator({
    seed: 5,
    data: { auditLogs: 200, accessLogs: 200, ticketEvents: 100 },
    limits: { enabled: true, windowMs: WINDOW_MS, accountPerMinute: BUDGET, accessLogsPerMinute: 4, incrementalPerMinute: 4, accessLogsCountAgainstAccount },
  }));
  const metrics = createMetrics();
  const account = zendeskAccount.parse({ name: 'acme', baseUrl: s.url, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token }, requestsPerMinute: BUDGET, rateWindow: WINDOW_MS });
  const c = (client = new ZendeskClient(account, { now: Date.now, sleep, random: Math.random }, metrics));
  const stop = new AbortController();

  const ctx = { id: 'budget', logger: pino({ level: 'silent' }), metrics, deadLetter: () => Promise.resolve(), fail: () => undefined, setHealthy: () => undefined, now: Date.now, random: Math.random, sleep, once: true } as ComponentContext & { once: boolean };
  const loop = async (path: string, o: Partial<GetOptions>) => {
    while (!stop.signal.aborted) await c.getJson(path, { ctx, signal: stop.signal, maxAttempts: 1, ...o }).catch((err: unknown) => (stop.signal.aborted ? undefined : Promise.reject(err)));
  };
  const endOfLastWindow = (): number | undefined => {
    const first = s.requests[0]?.time;
    return first === undefined ? undefined : (Math.ceil(first / WINDOW_MS) + WINDOWS) * WINDOW_MS;
  };
  // Ends the loops once the simulator's clock has passed WINDOWS complete fixed windows (polled condition).
  const until = (async () => {
    for (let end = endOfLastWindow(); end === undefined || Date.now() < end; end = endOfLastWindow()) await sleep(50);
    stop.abort();
  })();
  await Promise.all([
    loop('/api/v2/audit_logs?page[size]=1', {}),
    loop('/api/v2/audit_logs?page[size]=2', {}),
    loop('/api/v2/incremental/ticket_events?start_time=0', { endpoint: 'incremental', endpointLimit: 4 }),
    loop('/api/v2/access_logs?page[size]=1', { endpoint: 'access_logs', endpointLimit: 4 }),
    until,
  ]);
  const firstFixed = Math.ceil(s.requests[0]!.time / WINDOW_MS);
  const counted = s.requests.filter((r) => r.endpoint !== 'access_logs' || accessLogsCountAgainstAccount);
  const perWindow = Array.from({ length: WINDOWS }, (_, k) => counted.filter((r) => Math.floor(r.time / WINDOW_MS) === firstFixed + k).length);
  return { perWindow, tooMany: s.counters.tooManyRequests, violations: s.counters.retryAfterViolations, access: s.counters.requests.access_logs, reserve: c.limiter.reserve };
}

describe('account budget against Zendesk-like fixed windows', () => {
  for (const counted of [false, true]) {
    it(`uses the budget in every window with 0 × 429 (access logs ${counted ? 'counted against the account' : 'on their own budget'})`, async () => {
      const r = await run(counted);
      console.log(`client budget (access logs counted: ${counted}): account requests per window ${r.perWindow.join(' ')} of ${BUDGET}, ${r.access} access-log requests, ${r.tooMany} × 429`);
      expect(r.tooMany).toBe(0);
      expect(r.violations).toBe(0);
      expect(r.access).toBeGreaterThan(0);
      // The reserve is kept; access-log requests send no account headers, so one still in
      // flight when the last account answer came may cost one more.
      for (const n of r.perWindow) expect(n).toBeGreaterThanOrEqual(BUDGET - r.reserve - 1);
      for (const n of r.perWindow) expect(n).toBeLessThanOrEqual(BUDGET);
    }, 30_000);
  }
});

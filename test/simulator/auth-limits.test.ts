import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS, DEMO_OAUTH_TOKEN, startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { BASIC, get, testClock } from './helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const small = { auditLogs: 50, ticketEvents: 20, accessLogs: 20 };
async function start(o: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startSimulator({ seed: 1, data: small, ...o });
  return sim;
}
const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

describe('authentication', () => {
  it('accepts API-token basic auth and OAuth bearer tokens', async () => {
    const s = await start();
    expect((await get(`${s.url}/api/v2/audit_logs?page[size]=1`, { authorization: BASIC })).status).toBe(200);
    expect((await get(`${s.url}/api/v2/audit_logs?page[size]=1`, { authorization: `Bearer ${DEMO_OAUTH_TOKEN}` })).status).toBe(200);
    // Email matching is case-insensitive, the token is not.
    expect((await get(`${s.url}/api/v2/audit_logs?page[size]=1`, { authorization: basic(`${DEMO_CREDENTIALS.email.toUpperCase()}/token`, DEMO_CREDENTIALS.token) })).status).toBe(200);
  });

  it("answers 401 {error: \"Couldn't authenticate you\"} for missing or wrong credentials", async () => {
    const s = await start();
    const wrong: Record<string, string>[] = [
      {},
      { authorization: basic(`${DEMO_CREDENTIALS.email}/token`, 'nope') },
      { authorization: basic(DEMO_CREDENTIALS.email, DEMO_CREDENTIALS.token) },
      { authorization: basic(`other@example.com/token`, DEMO_CREDENTIALS.token) },
      { authorization: 'Digest abc' },
    ];
    for (const h of wrong) {
      const r = await get(`${s.url}/api/v2/audit_logs`, h);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: "Couldn't authenticate you" });
      const t = await get(`${s.url}/api/v2/incremental/ticket_events?start_time=0`, h);
      expect(t.status).toBe(401);
    }
    const bearer = await get(`${s.url}/api/v2/audit_logs`, { authorization: 'Bearer revoked' });
    expect(bearer.status).toBe(401);
    expect(bearer.json).toMatchObject({ error: 'invalid_token' });
    expect(s.counters.statuses['401']).toBe(11);
  });

  it('answers 403 in forbidden mode and for tokens without the scope', async () => {
    const s = await start({ auth: { email: 'a@example.com', token: 't', oauthTokens: [{ token: 'narrow', scopes: ['users:read'] }, { token: 'audit', scopes: ['auditlogs:read'] }], forbidden: { audit_logs: true } } });
    const denied = await get(`${s.url}/api/v2/audit_logs`, { authorization: basic('a@example.com/token', 't') });
    expect(denied.status).toBe(403);
    expect(denied.json).toEqual({ error: 'Forbidden', description: 'You do not have access to this page. Please contact the account owner of this help desk for further help.' });
    const scope = await get(`${s.url}/api/v2/incremental/ticket_events?start_time=0`, { authorization: 'Bearer narrow' });
    expect(scope.status).toBe(403);
    expect(scope.json).toEqual({ error: 'Forbidden', description: 'You are missing the following required scopes: read' });
    expect((await get(`${s.url}/api/v2/audit_logs/1`, { authorization: 'Bearer audit' })).status).toBe(404);
    s.setAuth({ forbidden: true });
    expect((await get(`${s.url}/api/v2/incremental/ticket_events?start_time=0`, { authorization: basic('a@example.com/token', 't') })).status).toBe(403);
  });

  it('404s unknown endpoints with InvalidEndpoint', async () => {
    const s = await start();
    const r = await get(`${s.url}/api/v2/tickets`);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: 'InvalidEndpoint', description: 'Not found' });
  });
});

describe('account rate limit', () => {
  it('counts down in the headers, then 429 with Retry-After until the window resets', async () => {
    const clock = testClock(Date.parse('2026-03-02T12:00:00Z'));
    const s = await start({ now: clock.now, limits: { accountPerMinute: 5 } });
    const url = `${s.url}/api/v2/audit_logs?page[size]=1`;
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      const r = await get(url);
      expect(r.status).toBe(200);
      expect(r.headers['x-rate-limit']).toBe('5');
      expect(r.headers['x-rate-limit-remaining']).toBe(String(4 - i));
      expect(r.headers['ratelimit-limit']).toBe('5');
      expect(r.headers['ratelimit-remaining']).toBe(String(4 - i));
      expect(r.headers['ratelimit-reset']).toBe(String(60 - (i + 1)));
    }
    clock.advance(10_000); // 12:00:15
    const limited = await get(url);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('45');
    expect(limited.headers['x-rate-limit-remaining']).toBe('0');
    expect(limited.json).toEqual({ error: 'RateLimited', description: 'Number of allowed API requests per minute exceeded' });
    expect(s.counters.tooManyRequests).toBe(1);

    clock.advance(30_000); // too early: 15 s before Retry-After elapses
    expect((await get(url)).status).toBe(429);
    expect(s.retryAfterViolations).toEqual([{ time: clock.now(), endpoint: 'audit_logs', bucket: 'account', earlyByMs: 15_000 }]);
    expect(s.requests.at(-1)!.retryAfterViolation).toBe(true);

    clock.set(Date.parse('2026-03-02T12:01:45Z')); // a well-behaved client, after both Retry-Afters
    const again = await get(url);
    expect(again.status).toBe(200);
    expect(again.headers['x-rate-limit-remaining']).toBe('4');
    expect(s.retryAfterViolations).toHaveLength(1);
    expect(s.counters.requests.audit_logs).toBe(8);
  });

  it('supports a shrunken window for fast tests', async () => {
    const clock = testClock(Date.parse('2026-03-02T12:00:00Z'));
    const s = await start({ now: clock.now, limits: { accountPerMinute: 2, windowMs: 1000 } });
    const url = `${s.url}/api/v2/audit_logs?page[size]=1`;
    expect((await get(url)).status).toBe(200);
    expect((await get(url)).status).toBe(200);
    const r = await get(url);
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
    clock.advance(1000);
    expect((await get(url)).status).toBe(200);
  });

  it('counts access-log requests against the account only in the mode that says so', async () => {
    const clock = testClock(Date.parse('2026-03-02T12:00:00Z'));
    const s = await start({ now: clock.now, limits: { accountPerMinute: 2, accessLogsPerMinute: 50 } });
    const access = `${s.url}/api/v2/access_logs?page[size]=1`;
    const audit = `${s.url}/api/v2/audit_logs?page[size]=1`;
    for (let i = 0; i < 3; i++) expect((await get(access)).status).toBe(200);
    // Own budget (the default): the account still has both of its requests.
    expect((await get(audit)).headers['x-rate-limit-remaining']).toBe('1');
    s.setLimits({ accessLogsCountAgainstAccount: true });
    clock.advance(60_000);
    const first = await get(access);
    expect(first.status).toBe(200);
    expect(first.headers['x-rate-limit-remaining']).toBeUndefined(); // no account headers on the access log, as documented
    expect((await get(audit)).headers['x-rate-limit-remaining']).toBe('0');
    // Both budgets spent: the next access-log request is refused the access log's way (no Retry-After, a reset date-time).
    const refused = await get(access);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(refused.headers['ratelimit-reset']).toBe('2026-03-02T12:02:00Z');
    expect((await get(audit)).status).toBe(429);
    expect(s.retryAfterViolations.map((v) => v.bucket)).toEqual(['account']);
  });

  it('can be switched off (benchmarks), and changed at runtime', async () => {
    const s = await start({ now: testClock().now, limits: { enabled: false, accountPerMinute: 1 } });
    for (let i = 0; i < 20; i++) {
      const r = await get(`${s.url}/api/v2/incremental/ticket_events?start_time=0`);
      expect(r.status).toBe(200);
      expect(r.headers['x-rate-limit']).toBeUndefined();
    }
    s.setLimits({ enabled: true });
    expect((await get(`${s.url}/api/v2/audit_logs?page[size]=1`)).status).toBe(200);
    expect((await get(`${s.url}/api/v2/audit_logs?page[size]=1`)).status).toBe(429);
    s.resetLimits();
    expect((await get(`${s.url}/api/v2/audit_logs?page[size]=1`)).status).toBe(200);
  });
});

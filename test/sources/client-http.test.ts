// The client's HTTP edges: transport safety of the configured baseUrl, Zendesk's per-endpoint
// rate-limit headers, and pages that are not valid UTF-8. A small server on 127.0.0.1 plays
// Zendesk where the simulator has no switch for it.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigObject } from '../../src/app/config.js';
import type { ComponentContext } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { zendeskAccount } from '../../src/sources/zendesk/account-config.js';
import { parseEndpointLimit, ZendeskClient } from '../../src/sources/zendesk/client.js';
import { sleep } from '../../src/core/retry.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(baseUrl: string) {
  const metrics = createMetrics();
  const account = zendeskAccount.parse({ name: 'acme', baseUrl, auth: { type: 'token', email: 'a@example.com', token: 'secret-token-123' }, requestsPerMinute: 1000 });
  const c = new ZendeskClient(account, { now: Date.now, sleep, random: Math.random }, metrics);
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) }));
  const ctx: ComponentContext = {
    id: 'audit',
    logger,
    metrics,
    deadLetter: () => Promise.resolve(),
    fail: () => undefined,
    setHealthy: () => undefined,
    now: Date.now,
    random: Math.random,
    sleep,
  };
  return { c, ctx, metrics, lines };
}

function configWith(account: Record<string, unknown>) {
  return {
    dataDir: '/tmp/zsf-unused',
    zendesk: { accounts: [{ name: 'acme', auth: { type: 'token', email: 'a@example.com', token: 'secret-token-123' }, ...account }] },
    sources: [{ id: 'audit', type: 'zendesk_audit_logs', account: 'acme' }],
    sinks: [{ id: 'out', type: 'null', inputs: ['audit'] }],
  };
}

describe('transport safety', () => {
  it('refuses an http:// baseUrl off loopback, naming the path and the fix', () => {
    let err: unknown;
    try {
      loadConfigObject(configWith({ baseUrl: 'http://zendesk-proxy.internal:8080' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toContain('zendesk.accounts[0].baseUrl');
    expect(problems).toContain('https://');
    expect(problems).toContain('allowInsecureHttp: true');
  });

  it('accepts https, loopback http (simulator, local proxy), and http with allowInsecureHttp', () => {
    for (const account of [
      { baseUrl: 'https://zendesk-proxy.internal' },
      { baseUrl: 'http://127.0.0.1:8089' },
      { baseUrl: 'http://127.8.9.10' },
      { baseUrl: 'http://[::1]:8089' },
      { baseUrl: 'http://localhost:8089' },
      { baseUrl: 'http://10.1.2.3', allowInsecureHttp: true },
      { subdomain: 'acme' },
    ]) {
      expect(() => loadConfigObject(configWith(account)), JSON.stringify(account)).not.toThrow();
    }
    expect(() => loadConfigObject(configWith({ baseUrl: 'http://128.0.0.1' }))).toThrow(ConfigError);
  });
});

describe('Zendesk-RateLimit-<endpoint> headers', () => {
  it('parses the documented total=; remaining=; resets= form and ignores what it does not know', () => {
    expect(parseEndpointLimit('tickets-index', 'total=100; remaining=99; resets=41')).toEqual({ name: 'tickets-index', total: 100, remaining: 99, resetSec: 41 });
    expect(parseEndpointLimit('x', 'remaining=0,resets=5, future=7')).toEqual({ name: 'x', remaining: 0, resetSec: 5 });
    expect(parseEndpointLimit('x', 'garbage')).toBeUndefined();
    expect(parseEndpointLimit('x', 'total=abc; remaining=-1')).toBeUndefined();
  });

  it('an exhausted endpoint header pauses that endpoint only; the account keeps going', async () => {
    const url = await serve((req, res) => {
      const incremental = req.url!.startsWith('/api/v2/incremental');
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-rate-limit-remaining': '650',
        ...(incremental ? { 'Zendesk-RateLimit-incremental-exports': 'total=10; remaining=0; resets=30' } : {}),
      });
      res.end(incremental ? '{"ticket_events":[],"end_time":1,"end_of_stream":true}' : '{"audit_logs":[]}');
    });
    const { c, ctx } = client(url);
    await c.getJson('/api/v2/incremental/ticket_events?start_time=1', { ctx, signal: new AbortController().signal, endpoint: 'incremental', endpointLimit: 10 });
    expect(c.limiter.waitMs('incremental')).toBeGreaterThan(25_000);
    expect(c.limiter.waitMs()).toBe(0);
    await c.getJson('/api/v2/audit_logs', { ctx, signal: new AbortController().signal });
    await c.close();
  });

  it('a 429 with the endpoint exhausted and the account not pauses only that endpoint', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '0', 'x-rate-limit-remaining': '600', 'Zendesk-RateLimit-incremental-exports': 'total=10; remaining=0; resets=0' });
        res.end('{"error":"APIRateLimitExceeded"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ticket_events":[],"end_time":1,"end_of_stream":true}');
    });
    const { c, ctx } = client(url);
    const paused: string[] = [];
    const limiter = c.limiter as unknown as { pauseFor(ms: number): void; pauseEndpoint(f: string, ms: number): void };
    const pauseFor = limiter.pauseFor.bind(limiter);
    const pauseEndpoint = limiter.pauseEndpoint.bind(limiter);
    limiter.pauseFor = (ms) => (paused.push('account'), pauseFor(ms));
    limiter.pauseEndpoint = (f, ms) => (paused.push(f), pauseEndpoint(f, ms));
    await c.getJson('/api/v2/incremental/ticket_events?start_time=1', { ctx, signal: new AbortController().signal, endpoint: 'incremental', endpointLimit: 10 });
    expect(paused).toContain('incremental');
    expect(paused).not.toContain('account');
    await c.close();
  });
});

describe('pages that are not valid UTF-8', () => {
  it('are counted per source and logged once; the data still flows (with U+FFFD)', async () => {
    const page = Buffer.concat([Buffer.from('{"audit_logs":[{"id":1,"actor_name":"Ren'), Buffer.from([0xe9]), Buffer.from('e"}]}')]);
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(page);
    });
    const { c, ctx, metrics, lines } = client(url);
    const signal = new AbortController().signal;
    const first = await c.getJson('/api/v2/audit_logs', { ctx, signal });
    await c.getJson('/api/v2/audit_logs', { ctx, signal });
    expect((first.body.audit_logs as { actor_name: string }[])[0]!.actor_name).toBe('Ren\uFFFDe');
    expect((await metrics.sourceInvalidUtf8.get()).values).toEqual([expect.objectContaining({ labels: { source: 'audit' }, value: 2 })]);
    expect(lines.filter((l) => l.includes('not valid UTF-8'))).toHaveLength(1);
    await c.close();
  });

  it('valid UTF-8 (including multi-byte characters) is not counted', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.from('{"audit_logs":[{"id":1,"actor_name":"Renée 日本"}]}'));
    });
    const { c, ctx, metrics } = client(url);
    await c.getJson('/api/v2/audit_logs', { ctx, signal: new AbortController().signal });
    expect((await metrics.sourceInvalidUtf8.get()).values.reduce((a, v) => a + v.value, 0)).toBe(0);
    await c.close();
  });
});

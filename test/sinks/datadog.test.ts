// The datadog_logs driver against the protocol receiver, through the official client
// (@datadog/datadog-api-client v2 LogsApi.submitLog) on our undici HTTP layer: encoding,
// gzip, limits, the status table, stale timestamps, healthcheck, TLS, proxy, abort.

import { isAbsolute, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { sectionDefault, type BuildEnv } from '../../src/core/plugin.js';
import { recordToEvent, type PipelineEvent, type SendOutcome } from '../../src/core/types.js';
import { generateRecord } from '../../src/sources/generator.js';
import { datadogLogsSink } from '../../src/sinks/datadog/index.js';
import { apiUrl, DATADOG_SITES, datadogOptions, intakeUrl } from '../../src/sinks/datadog/config.js';
import { prefixWithinJsonBytes } from '../../src/sinks/datadog/encode.js';
import { loadDatadogAuthenticationApi, loadDatadogClient } from '../../src/sinks/datadog/driver.js';
import { loadConfigFile } from '../../src/app/config.js';
import { captureLogs } from '../support/capture-logs.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import { metric } from '../support/metric.js';
import type { InjectedResponse } from '../support/receiver-base.js';
import { selfSignedCert } from '../support/self-signed-cert.js';
import { tempDir } from '../support/temp-dir.js';
import { startDatadogReceiver, type DatadogReceiver } from '../receivers/datadog.js';
import { commonSinkOptions } from '../support/sink-options.js';
import { sendsPipelineEvents } from '../support/sink-events.js';

const KEY = 'dd-api-key-0123456789abcdef';
const NOW = Date.parse('2026-03-01T12:00:00Z');

function events(n: number, opts: { stream?: string; timeMs?: number; from?: number } = {}): PipelineEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const e = recordToEvent(generateRecord((opts.from ?? 0) + i, 'acme', opts.stream ?? 'audit_log', Date.parse('2026-03-01T00:00:00Z'), 5));
    e.meta.time = (opts.timeMs ?? NOW - 60_000) + i;
    return e;
  });
}

function bigEvent(bytes: number, id = 999): PipelineEvent {
  const e = events(1)[0]!;
  e.body = { id, blob: 'z'.repeat(bytes) };
  return e;
}

// Relative paths in sink options (TLS files) resolve against this "config folder".
const configDir = tempDir('zsf-config-');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(async () => {
  // The client takes a few seconds to load; not part of any test's timing.
  await Promise.all([loadDatadogClient(), loadDatadogAuthenticationApi()]);
}, 60_000);

async function setup(over: Record<string, unknown> = {}, rcv: Parameters<typeof startDatadogReceiver>[0] = {}) {
  const receiver: DatadogReceiver = await startDatadogReceiver({ apiKeys: [KEY], ...rcv });
  cleanups.push(() => receiver.close());
  const logs = captureLogs();
  const secrets = new Secrets();
  secrets.add(KEY);
  const metrics = createMetrics();
  const env: BuildEnv & { now: () => number } = {
    id: 'datadog',
    dataDir: tempDir(),
    resolvePath: (p: string) => (isAbsolute(p) ? p : join(configDir, p)),
    logger: logs.logger,
    metrics,
    secrets,
    section: sectionDefault,
    shared: <T>(_k: string, make: () => T) => make(),
    now: () => NOW,
  };
  const parsed = z.strictObject(datadogOptions).parse({ endpoint: receiver.url, apiKey: KEY, ...over });
  const driver = sendsPipelineEvents(datadogLogsSink.create({ ...parsed, ...commonSinkOptions(datadogLogsSink, { requestTimeout: 10_000 }), id: 'datadog', type: 'datadog_logs', inputs: ['x'] } as never, env));
  cleanups.push(async () => driver.close?.());
  return { receiver, driver, logs, metrics };
}

describe('datadog_logs encoding', () => {
  it('submits an array of logs with reserved attributes from the event, gzipped, via the official client', async () => {
    const { receiver, driver, metrics } = await setup({ service: 'zendesk-audit', tags: ['env:test', 'team:{account}', '{body.no_such}'] });
    const evs = [...events(2), ...events(1, { stream: 'access_log', from: 2 })];
    evs[0]!.meta.severity = 4;
    evs[1]!.meta.severity = 1;
    evs[2]!.meta.schema = 'ocsf';
    expect(await driver.send(evs, AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });

    expect(receiver.intakeRequests).toHaveLength(1);
    const req = receiver.intakeRequests[0]!;
    expect(req.headers['dd-api-key']).toBe(KEY);
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^datadog-api-client-typescript\//); // built by the official client
    expect(req.framing).toBe('array');
    expect(req.status).toBe(202);
    expect(req.wireBytes).toBeLessThan(req.decodedBytes);

    expect(receiver.logs.map((l) => l.log)).toEqual(
      evs.map((e, i) => ({
        ddsource: 'zendesk',
        ddtags: `account:acme,stream:${e.meta.stream},schema:${i === 2 ? 'ocsf' : 'zendesk'},env:test,team:acme`,
        hostname: 'acme.zendesk.com',
        message: JSON.stringify(e.body),
        service: 'zendesk-audit',
        status: ['error', 'info', 'info'][i],
        timestamp: e.meta.time,
      })),
    );
    expect(receiver.logs.map((l) => l.event)).toEqual(evs.map((e) => e.body));
    expect(await metric(metrics, 'zsf_sink_bytes_sent_total')).toBe(req.wireBytes);
    expect(await metric(metrics, 'zsf_sink_bytes_uncompressed_total')).toBe(req.decodedBytes);
  });

  it('maps every site to its intake and API hosts', () => {
    const expected: Record<string, string> = {
      'datadoghq.com': 'https://http-intake.logs.datadoghq.com',
      'datadoghq.eu': 'https://http-intake.logs.datadoghq.eu',
      'us3.datadoghq.com': 'https://http-intake.logs.us3.datadoghq.com',
      'us5.datadoghq.com': 'https://http-intake.logs.us5.datadoghq.com',
      'ap1.datadoghq.com': 'https://http-intake.logs.ap1.datadoghq.com',
      'ap2.datadoghq.com': 'https://http-intake.logs.ap2.datadoghq.com',
      'ddog-gov.com': 'https://http-intake.logs.ddog-gov.com',
    };
    expect(Object.keys(expected).sort()).toEqual([...DATADOG_SITES].sort());
    for (const site of DATADOG_SITES) {
      expect(intakeUrl({ site })).toBe(expected[site]);
      expect(apiUrl({ site })).toBe(`https://api.${site}`);
    }
    expect(intakeUrl({ site: 'datadoghq.eu', endpoint: 'http://proxy:8080/dd/' })).toBe('http://proxy:8080/dd');
  });

  it('examples/datadog.yaml validates, with the API key registered as a secret', () => {
    const env = { DD_API_KEY: 'example-dd-key-1234', DD_SITE: 'datadoghq.eu', ZENDESK_EMAIL: 'a@example.com', ZENDESK_API_TOKEN: 'zd-token-1234' };
    const loaded = loadConfigFile(new URL('../../examples/datadog.yaml', import.meta.url).pathname, env);
    const sink = loaded.config.sinks.find((s) => s.type === 'datadog_logs')!;
    expect(sink).toMatchObject({ site: 'datadoghq.eu', service: 'zendesk', oversizedLogs: 'dead_letter', staleAfter: 18 * 3600_000 });
    expect(intakeUrl(sink as never)).toBe('https://http-intake.logs.datadoghq.eu');
    expect(loaded.secrets.scrub('key example-dd-key-1234')).toBe('key [REDACTED]');
  });

  it('sends uncompressed when compression is off', async () => {
    const { receiver, driver } = await setup({ compression: { type: 'none' } });
    expect(await driver.send(events(2), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    expect(receiver.intakeRequests[0]!.headers['content-encoding']).toBeUndefined();
    expect(receiver.intakeRequests[0]!.wireBytes).toBe(receiver.intakeRequests[0]!.decodedBytes);
  });
});

describe('datadog_logs limits', () => {
  it('more than 1000 logs is too_large without a request', async () => {
    const { receiver, driver } = await setup();
    const out = await driver.send(events(1001), AbortSignal.timeout(5000));
    expect(out).toMatchObject({ kind: 'too_large' });
    expect((out as { reason: string }).reason).toMatch(/1001 logs .* 1000-entry limit/);
    expect(receiver.requests).toHaveLength(0);
    expect(await driver.send(events(1000), AbortSignal.timeout(10_000))).toEqual({ kind: 'ok' });
    expect(receiver.logs).toHaveLength(1000);
  });

  it('more than 5 MB uncompressed is too_large without a request', async () => {
    const { receiver, driver } = await setup();
    const evs = Array.from({ length: 6 }, (_, i) => bigEvent(900_000, i));
    const out = await driver.send(evs, AbortSignal.timeout(5000));
    expect(out).toMatchObject({ kind: 'too_large' });
    expect((out as { reason: string }).reason).toMatch(/above Datadog's 5000000-byte limit/);
    expect(receiver.requests).toHaveLength(0);
    expect(await driver.send(evs.slice(0, 5), AbortSignal.timeout(10_000))).toEqual({ kind: 'ok' });
  });

  it('a log above 1 MB is dead-lettered by default and the others are delivered', async () => {
    const { receiver, driver } = await setup();
    const evs = [...events(2), bigEvent(1_100_000), ...events(1, { from: 2 })];
    const out = await driver.send(evs, AbortSignal.timeout(10_000));
    expect(out).toMatchObject({ kind: 'partial', rejected: [{ index: 2 }] });
    expect((out as { rejected: { reason: string }[] }).rejected[0]!.reason).toMatch(/above Datadog's 1000000-byte limit per log \(oversizedLogs: dead_letter\)/);
    expect(receiver.logs.map((l) => (l.event as { id: number }).id)).toEqual([0, 1, 2]);
  });

  it('with oversizedLogs: truncate, cuts the message to fit 1 MB and marks it', async () => {
    const { receiver, driver } = await setup({ oversizedLogs: 'truncate' });
    const big = bigEvent(1_100_000);
    expect(await driver.send([big], AbortSignal.timeout(10_000))).toEqual({ kind: 'ok' });
    const got = receiver.logs[0]!;
    expect(got.truncated).toBe(false); // we cut it before Datadog had to
    expect(Buffer.byteLength(JSON.stringify(got.log))).toBeLessThanOrEqual(1_000_000);
    expect(got.log.zsf_truncated).toBe(true);
    expect(got.log.zsf_original_bytes).toBeGreaterThan(1_100_000);
    const msg = got.log.message as string;
    expect(msg.endsWith('…[truncated by zendesk-siem-forwarder]')).toBe(true);
    expect(JSON.stringify(big.body).startsWith(msg.slice(0, -'…[truncated by zendesk-siem-forwarder]'.length))).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(got.log))).toBeGreaterThan(990_000);
  });

  it('truncation never splits a character or an escape', () => {
    expect(prefixWithinJsonBytes('a"b', 2)).toBe('a');
    expect(prefixWithinJsonBytes('a"b', 3)).toBe('a"');
    expect(prefixWithinJsonBytes('😀😀', 5)).toBe('😀');
    expect(prefixWithinJsonBytes('é\n', 3)).toBe('é');
  });

  it('counts and warns about events older than 18 h (accepted but maybe not indexed)', async () => {
    const { driver, logs, metrics } = await setup();
    const old = events(3, { timeMs: NOW - 19 * 3600_000 });
    const fresh = events(2, { timeMs: NOW - 3600_000, from: 3 });
    expect(await driver.send([...old, ...fresh], AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    expect(await driver.send(events(1, { timeMs: NOW - 40 * 3600_000, from: 9 }), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    expect(await metric(metrics, 'zsf_sink_stale_events_total')).toBe(4);
    const warnings = logs.lines.filter((l) => l.includes('older than the Datadog indexing window'));
    expect(warnings).toHaveLength(1); // rate-limited to one a minute
    expect(JSON.parse(warnings[0]!)).toMatchObject({ events: 3, oldest: new Date(NOW - 19 * 3600_000).toISOString() });
  });
});

describe('datadog_logs response classification', () => {
  const dd = (status: number, detail: string, headers: Record<string, string> = {}): InjectedResponse => ({
    status,
    body: JSON.stringify({ errors: [{ status: String(status), title: 'Error', detail }] }),
    headers,
  });
  const cases: [string, InjectedResponse, { kind: SendOutcome['kind']; retryAfterMs?: number }, string][] = [
    ['400 bad payload', dd(400, 'malformed JSON'), { kind: 'permanent' }, 'Datadog HTTP 400: Error: malformed JSON'],
    ['401 missing key', dd(401, 'API key is missing'), { kind: 'auth' }, 'Datadog HTTP 401: Error: API key is missing'],
    ['403 invalid key', dd(403, 'API key is invalid'), { kind: 'auth' }, 'Datadog HTTP 403: Error: API key is invalid'],
    ['408 timeout', dd(408, 'request timeout'), { kind: 'retry' }, 'Datadog HTTP 408'],
    ['413 too large', dd(413, 'payload too large'), { kind: 'too_large' }, 'Datadog HTTP 413: Error: payload too large'],
    ['429 + Retry-After', dd(429, 'rate limited', { 'retry-after': '12' }), { kind: 'retry', retryAfterMs: 12_000 }, 'Datadog HTTP 429'],
    ['429 + X-RateLimit-Reset', dd(429, 'rate limited', { 'x-ratelimit-reset': '4' }), { kind: 'retry', retryAfterMs: 4000 }, 'Datadog HTTP 429'],
    ['500', dd(500, 'internal'), { kind: 'retry' }, 'Datadog HTTP 500'],
    ['503 + Retry-After', { status: 503, body: 'unavailable', headers: { 'retry-after': '2' } }, { kind: 'retry', retryAfterMs: 2000 }, 'Datadog HTTP 503: unavailable'],
    ['501', { status: 501, body: '' }, { kind: 'permanent' }, 'Datadog HTTP 501'],
    ['307 redirect (not followed, data kept)', { status: 307, body: '', headers: { location: 'https://other/api/v2/logs' } }, { kind: 'retry' }, 'redirected to https://other/api/v2/logs: fix the endpoint'],
    ['404', { status: 404, body: '{"errors":["Not found"]}' }, { kind: 'permanent' }, 'Datadog HTTP 404: Not found'],
  ];
  for (const [name, response, expected, reason] of cases) {
    it(`${name} -> ${expected.kind}`, async () => {
      const { receiver, driver, logs } = await setup();
      receiver.failNext(1, response);
      const out = await driver.send(events(2), AbortSignal.timeout(5000));
      expect(out).toMatchObject(expected);
      expect((out as { reason: string }).reason).toContain(reason);
      expect((out as { reason: string }).reason).not.toContain(KEY);
      expect(logs.lines.join('\n')).not.toContain(KEY);
      expect(receiver.logs).toHaveLength(0);
    });
  }

  it('a wrong API key against the receiver is an auth failure', async () => {
    const { driver } = await setup({}, { apiKeys: ['another-key-entirely'] });
    expect(await driver.send(events(1), AbortSignal.timeout(5000))).toEqual({ kind: 'auth', reason: 'Datadog HTTP 403: Forbidden: API key is invalid' });
  });

  it('a dropped connection is a retry', async () => {
    const { receiver, driver } = await setup();
    receiver.failNext(1, { status: 0, drop: true });
    expect(await driver.send(events(1), AbortSignal.timeout(5000))).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^Datadog request failed: /) });
    expect(await driver.send(events(1), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
  });

  it('a request that never answers is aborted by the per-call signal', async () => {
    const { receiver, driver } = await setup();
    receiver.failNext(1, { status: 0, hang: true });
    const started = Date.now();
    await expect(driver.send(events(1), AbortSignal.timeout(200))).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await driver.send(events(1), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
  });
});

describe('datadog_logs healthcheck, TLS and proxy', () => {
  it('checks the API key with GET /api/v1/validate', async () => {
    const { receiver, driver } = await setup();
    await driver.healthcheck!(AbortSignal.timeout(5000));
    expect(receiver.requests.at(-1)).toMatchObject({ path: '/api/v1/validate', method: 'GET', status: 200 });
    receiver.apiKeys.clear();
    await expect(driver.healthcheck!(AbortSignal.timeout(5000))).rejects.toThrow('Datadog API key check (GET /api/v1/validate) failed: Datadog HTTP 403: Forbidden');
  });

  it('verifies TLS by default, trusts a caFile, and skips verification only when told to', async (ctx) => {
    const certs = await selfSignedCert(configDir);
    if (!certs) return ctx.skip();
    const tls = { key: certs.key, cert: certs.cert };
    const strict = await setup({}, { tls });
    const out = await strict.driver.send(events(1), AbortSignal.timeout(5000));
    expect(out).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/self.signed|certificate/i) });
    expect(strict.receiver.logs).toHaveLength(0);
    const withCa = await setup({ tls: { caFile: 'cert.pem' } }, { tls }); // relative: resolved against the config folder
    expect(await withCa.driver.send(events(2), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    expect(withCa.receiver.logs).toHaveLength(2);
    const insecure = await setup({ tls: { insecureSkipVerify: true } }, { tls });
    expect(await insecure.driver.send(events(1), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
  });

  it('sends through the configured proxy (the client runs on our undici dispatcher)', async () => {
    const proxy = await startConnectProxy();
    cleanups.push(() => proxy.close());
    const { receiver, driver } = await setup({ proxy: proxy.url });
    expect(await driver.send(events(3), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    expect(receiver.logs).toHaveLength(3);
    expect(proxy.tunnels).toEqual([`127.0.0.1:${receiver.port}`]);
  });
});

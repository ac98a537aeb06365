// The `http` sink: its classification table, and its driver against an NDJSON receiver on
// loopback (body format, method, headers, auth, compression, byte metrics, secrets).

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfigObject } from '../../src/app/config.js';
import { sectionDefault, type BuildEnv } from '../../src/core/plugin.js';
import { recordToEvent, type PipelineEvent, type SendOutcome, type SinkDriver } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { generateRecord } from '../../src/sources/generator.js';
import { classifyHttpSinkResponse } from '../../src/sinks/http/classify.js';
import { httpSink } from '../../src/sinks/http/index.js';
import { startNdjsonReceiver, type NdjsonReceiver } from '../receivers/http-ndjson.js';
import { captureLogs } from '../support/probe.js';
import { commonSinkOptions } from '../support/sink-options.js';
import { sendsPipelineEvents } from '../support/sink-events.js';

const SECRET = 'http-sink-bearer-7c1e9f3a';
const NOW = Date.parse('2026-11-22T10:00:00Z');

function events(n: number, account = 'acme'): PipelineEvent[] {
  return Array.from({ length: n }, (_, i) => recordToEvent(generateRecord(i, account, 'audit_log', Date.parse('2026-01-01T00:00:00Z'), 5)));
}

describe('http sink classification', () => {
  const cases: [string, number, Record<string, string>, string, SendOutcome][] = [
    ['200', 200, {}, '', { kind: 'ok' }],
    ['204', 204, {}, '', { kind: 'ok' }],
    ['302 with Location', 302, { location: 'https://elsewhere/ingest' }, '', { kind: 'retry', reason: 'HTTP 302; redirected to https://elsewhere/ingest: fix the endpoint' }],
    ['308 without Location', 308, {}, '', { kind: 'retry', reason: 'HTTP 308; redirected: fix the endpoint' }],
    ['400', 400, {}, 'bad\n json', { kind: 'permanent', reason: 'HTTP 400: bad json' }],
    ['401', 401, {}, 'no', { kind: 'auth', reason: 'HTTP 401: no' }],
    ['403', 403, {}, '', { kind: 'auth', reason: 'HTTP 403' }],
    ['404', 404, {}, '', { kind: 'permanent', reason: 'HTTP 404' }],
    ['408', 408, {}, '', { kind: 'retry', reason: 'HTTP 408' }],
    ['413', 413, {}, 'too big', { kind: 'too_large', reason: 'HTTP 413: too big' }],
    ['429 + Retry-After seconds', 429, { 'retry-after': '7' }, '', { kind: 'retry', reason: 'HTTP 429', retryAfterMs: 7000 }],
    ['429 without Retry-After', 429, {}, '', { kind: 'retry', reason: 'HTTP 429' }],
    ['500', 500, {}, 'oops', { kind: 'retry', reason: 'HTTP 500: oops' }],
    ['501 (method not implemented)', 501, {}, '', { kind: 'permanent', reason: 'HTTP 501' }],
    ['503 + Retry-After date', 503, { 'retry-after': 'Sun, 22 Nov 2026 10:00:30 GMT' }, '', { kind: 'retry', reason: 'HTTP 503', retryAfterMs: 30_000 }],
  ];
  it.each(cases)('%s', (_name, status, headers, body, expected) => {
    expect(classifyHttpSinkResponse(status, headers, body, NOW)).toEqual(expected);
  });

  it('keeps at most 500 characters of the answer in the reason', () => {
    const outcome = classifyHttpSinkResponse(400, {}, 'x'.repeat(2000), NOW);
    expect(outcome.kind === 'permanent' && outcome.reason.length).toBe('HTTP 400: '.length + 500);
  });
});

describe('http sink driver', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c.close();
  });

  async function setup(options: Record<string, unknown>, rcv: Parameters<typeof startNdjsonReceiver>[0] = {}) {
    const receiver: NdjsonReceiver = await startNdjsonReceiver(rcv);
    open.push(receiver);
    const logs = captureLogs();
    const metrics = createMetrics();
    const secrets = new Secrets();
    const env: BuildEnv = { id: 'out', dataDir: '/nonexistent', resolvePath: (p) => p, logger: pino({ level: 'debug' }, logs.stream), metrics, secrets, section: sectionDefault, shared: (_k, make) => make() };
    const parsed = z.strictObject(httpSink.options).parse({ uri: receiver.url, ...options });
    const driver = sendsPipelineEvents<SinkDriver>(httpSink.create({ ...parsed, ...commonSinkOptions(httpSink), id: 'out', type: 'http', inputs: ['x'] } as never, env));
    open.push({ close: () => driver.close!() });
    return { receiver, driver, logs, metrics, secrets };
  }

  async function counter(metrics: ReturnType<typeof createMetrics>, name: string): Promise<number> {
    const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
    return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
  }

  it('POSTs one JSON body per line, gzipped by default, and counts the bytes it sent', async () => {
    const { receiver, driver, metrics } = await setup({});
    const batch = events(25);
    expect(await driver.send(batch, AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    const [req] = receiver.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/ingest', status: 200 });
    expect(req!.headers['content-type']).toBe('application/x-ndjson');
    expect(req!.headers['content-encoding']).toBe('gzip');
    expect(req!.wireBytes).toBeLessThan(req!.decodedBytes);
    expect(req!.lines).toEqual(batch.map((e) => e.body));
    expect(await counter(metrics, 'zsf_sink_bytes_sent_total')).toBe(req!.wireBytes);
    expect(await counter(metrics, 'zsf_sink_bytes_uncompressed_total')).toBe(req!.decodedBytes);
  });

  it('PUTs uncompressed with custom headers when told to', async () => {
    const { receiver, driver } = await setup({ method: 'PUT', compression: { type: 'none' }, headers: { 'X-Tenant': 'blue', 'Content-Type': 'application/json-seq' } });
    expect(await driver.send(events(3), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    const [req] = receiver.requests;
    expect(req!.method).toBe('PUT');
    expect(req!.headers['content-encoding']).toBeUndefined();
    expect(req!.wireBytes).toBe(req!.decodedBytes);
    expect(req!.headers['x-tenant']).toBe('blue');
    expect(req!.headers['content-type']).toBe('application/json-seq'); // a configured header wins over the default
  });

  it('sends basic and bearer credentials', async () => {
    const basic = await setup({ auth: { type: 'basic', user: 'ingest', password: 'pa:ss' } }, { authorization: `Basic ${Buffer.from('ingest:pa:ss').toString('base64')}` });
    expect(await basic.driver.send(events(1), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    const bearer = await setup({ auth: { type: 'bearer', token: SECRET } }, { authorization: `Bearer ${SECRET}` });
    expect(await bearer.driver.send(events(1), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    const wrong = await setup({ auth: { type: 'bearer', token: SECRET } }, { authorization: 'Bearer something-else' });
    expect(await wrong.driver.send(events(1), AbortSignal.timeout(5000))).toEqual({ kind: 'auth', reason: 'HTTP 401: bad credentials' });
  });

  it('never lets a credential out through an outcome reason or the logs', async () => {
    const { receiver, driver, logs } = await setup({ auth: { type: 'bearer', token: SECRET }, headers: { 'X-Api-Key': 'key-4f0d2b77e1' } });
    receiver.failNext(1, { status: 400, body: `rejected Authorization: Bearer ${SECRET} with key key-4f0d2b77e1` });
    const outcome = await driver.send(events(1), AbortSignal.timeout(5000));
    expect(outcome.kind).toBe('permanent');
    const reason = outcome.kind === 'permanent' ? outcome.reason : '';
    expect(reason).toContain('[REDACTED]');
    expect(reason).not.toContain(SECRET);
    expect(reason).not.toContain('key-4f0d2b77e1');
    expect(logs.lines.join('\n')).not.toContain(SECRET);
    expect(receiver.requests[0]!.headers['x-api-key']).toBe('key-4f0d2b77e1');
  });

  it('a refused connection throws (the core retries it)', async () => {
    const { receiver, driver } = await setup({});
    await receiver.close();
    await expect(driver.send(events(1), AbortSignal.timeout(5000))).rejects.toThrow();
  });

  it('config: plain http:// off loopback is refused, credentials are registered as secrets', () => {
    const base = { sources: [{ id: 'gen', type: 'generator' }] };
    expect(() => loadConfigObject({ ...base, sinks: [{ id: 'out', type: 'http', inputs: ['gen'], uri: 'http://collector.example.com/ingest' }] })).toThrow(/uri.*plain http/s);
    expect(() => loadConfigObject({ ...base, sinks: [{ id: 'out', type: 'http', inputs: ['gen'], uri: 'ftp://x/' }] })).toThrow(/expected the full URL/);
    const loaded = loadConfigObject({ ...base, sinks: [{ id: 'out', type: 'http', inputs: ['gen'], uri: 'https://collector.example.com/ingest', auth: { type: 'basic', user: 'u', password: 'hunter2-long' } }] });
    expect(loaded.secrets.scrub('pw hunter2-long')).toBe('pw [REDACTED]');
    const sink = loaded.config.sinks[0]!;
    expect(sink.batch).toEqual({ maxEvents: 1000, maxBytes: 1024 * 1024, maxWait: 1000 });
    expect(sink).toMatchObject({ method: 'POST', compression: { type: 'gzip', level: 6 }, concurrency: 4 });
  });
});

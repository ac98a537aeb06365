// The HTTP layer every network sink sends through: the default classification (with the one
// redirect rule) and the transport (compression, Content-Encoding, byte metrics, side requests).

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { classifyHttpStatus } from '../../src/sinks/shared/classify.js';
import { createHttpTransport } from '../../src/sinks/shared/http.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');

describe('classifyHttpStatus (the default every sink starts from)', () => {
  const cases: [number, Record<string, string | string[]>, SendOutcome][] = [
    [200, {}, { kind: 'ok' }],
    [202, {}, { kind: 'ok' }],
    [301, { location: 'https://new.example/x' }, { kind: 'retry', reason: 'HTTP 301: t; redirected to https://new.example/x: fix the endpoint' }],
    [307, { location: ['https://a/', 'https://b/'] }, { kind: 'retry', reason: 'HTTP 307: t; redirected to https://a/: fix the endpoint' }],
    [304, {}, { kind: 'retry', reason: 'HTTP 304: t; redirected: fix the endpoint' }],
    [400, {}, { kind: 'permanent', reason: 'HTTP 400: t' }],
    [401, {}, { kind: 'auth', reason: 'HTTP 401: t' }],
    [403, {}, { kind: 'auth', reason: 'HTTP 403: t' }],
    [408, {}, { kind: 'retry', reason: 'HTTP 408: t' }],
    [413, {}, { kind: 'too_large', reason: 'HTTP 413: t' }],
    [422, {}, { kind: 'permanent', reason: 'HTTP 422: t' }],
    [429, { 'retry-after': '2' }, { kind: 'retry', reason: 'HTTP 429: t', retryAfterMs: 2000 }],
    [500, {}, { kind: 'retry', reason: 'HTTP 500: t' }],
    [501, {}, { kind: 'permanent', reason: 'HTTP 501: t' }],
    [503, { 'retry-after': 'Sun, 22 Nov 2026 10:01:00 GMT' }, { kind: 'retry', reason: 'HTTP 503: t', retryAfterMs: 60_000 }],
    [503, { 'retry-after': 'later' }, { kind: 'retry', reason: 'HTTP 503: t' }],
  ];
  it.each(cases)('HTTP %i %j', (status, headers, expected) => {
    expect(classifyHttpStatus(status, headers, 't', NOW)).toEqual(expected);
  });

  it('uses the reason a protocol gives instead of the body text', () => {
    expect(classifyHttpStatus(302, { location: '/elsewhere' }, 'ignored', NOW, 'HEC HTTP 302')).toEqual({ kind: 'retry', reason: 'HEC HTTP 302; redirected to /elsewhere: fix the endpoint' });
  });
});

describe('createHttpTransport', () => {
  const seen: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200).end('fine');
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function sum(metrics: ReturnType<typeof createMetrics>, name: string): Promise<number> {
    const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
    return (m?.values ?? []).filter((v) => v.labels.sink === 't').reduce((s, v) => s + v.value, 0);
  }

  it('gzips deliveries per the sink config, sets Content-Encoding and counts raw and wire bytes; side requests are sent as given and not counted', async () => {
    seen.length = 0;
    const metrics = createMetrics();
    const transport = createHttpTransport({ id: 't', compression: { type: 'gzip', level: 9 } }, { metrics, resolvePath: (p) => p });
    const body = '{"a":1}\n'.repeat(500);
    const res = await transport.send({ url, headers: { 'content-type': 'application/x-ndjson' }, body });
    expect([res.status, res.text, res.rawBytes]).toEqual([200, 'fine', body.length]);
    expect(seen[0]!.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(seen[0]!.body).toString()).toBe(body);
    expect(res.wireBytes).toBe(seen[0]!.body.length);
    expect(res.wireBytes).toBeLessThan(body.length / 10);

    const plain = await transport.send({ url, body: 'abc', compression: { type: 'none', level: 6 } });
    expect(seen[1]!.headers['content-encoding']).toBeUndefined();
    expect(plain.wireBytes).toBe(3);

    await transport.request({ url, method: 'POST', body: 'side request' });
    expect(seen[2]!.body.toString()).toBe('side request');
    expect(await sum(metrics, 'zsf_sink_bytes_uncompressed_total')).toBe(body.length + 3);
    expect(await sum(metrics, 'zsf_sink_bytes_sent_total')).toBe(res.wireBytes + 3);
    await transport.close();
  });

  it('reads TLS files through the resolvePath it is given (the config folder)', () => {
    const asked: string[] = [];
    const resolvePath = (p: string) => {
      asked.push(p);
      return `/nonexistent-config-dir/${p}`;
    };
    expect(() => createHttpTransport({ id: 't', tls: { caFile: 'ca.pem', insecureSkipVerify: false } }, { metrics: createMetrics(), resolvePath })).toThrow(/nonexistent-config-dir\/ca\.pem/);
    expect(asked).toEqual(['ca.pem']);
  });
});

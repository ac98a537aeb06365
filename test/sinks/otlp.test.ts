import { existsSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { OTLPLogExporter as StockProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as StockJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sectionDefault, type BuildEnv } from '../../src/core/plugin.js';
import type { PipelineEvent, SinkDriver } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { otlpSink } from '../../src/sinks/otlp/index.js';
import { loadConfigFile } from '../../src/app/config.js';
import { packageVersion as programVersion } from '../../src/observability/build-info.js';
import { createRecordEncoder } from '../../src/sinks/otlp/encode.js';
import { startOtlpReceiver, type Json, type OtlpReceiver, type ReceivedRecord } from '../receivers/otlp.js';
import { captureLogs } from '../support/capture-logs.js';
import { metric } from '../support/metric.js';
import { mulberry32 } from '../support/random.js';
import { commonSinkOptions } from '../support/sink-options.js';
import { tempDir } from '../support/probe.js';
import { selfSignedCert } from '../receivers/hec.js';
import { sendsPipelineEvents } from '../support/sink-events.js';


// ------------------------------------------------------------------ fixtures

const NAMES = ['Zoë Ångström', '李小龙', 'Amara Okafor', 'O\'Brien "quoted"', 'tab\there'];

/** Seeded OCSF-like events with nesting, arrays, unicode, negative and fractional numbers, nulls. */
function makeEvents(n: number, seed: number, accounts = ['acme']): PipelineEvent[] {
  const rnd = mulberry32(seed);
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => {
    const account = accounts[i % accounts.length]!;
    const time = start + i * 1003 + Math.floor(rnd() * 1000);
    const severity = Math.floor(rnd() * 7);
    const body: Record<string, unknown> = {
      class_uid: 3002,
      class_name: 'Authentication',
      severity_id: severity,
      time,
      message: `login ${i} by ${NAMES[i % NAMES.length]}`,
      metadata: { uid: `${account}:audit_log:${i}`, product: { name: 'Zendesk', vendor_name: 'Zendesk' }, profiles: ['host'] },
      actor: { user: { uid: String(1000 + i), name: NAMES[Math.floor(rnd() * NAMES.length)]!, groups: [{ name: 'admins' }, { name: 'agents', privileges: ['read', 'write'] }] } },
      src_endpoint: { ip: `198.51.100.${Math.floor(rnd() * 255)}`, port: Math.floor(rnd() * 65535) },
      delta: -Math.floor(rnd() * 1e9),
      score: Math.round(rnd() * 1e6) / 1e3,
      is_mfa: rnd() > 0.5,
      unmapped: { note: null, empty_list: [], empty_obj: {} },
    };
    return {
      meta: { id: `${account}:audit_log:${i}`, account, stream: 'audit_log', time, schema: 'ocsf', classUid: 3002, ...(i % 3 === 0 ? { severity } : {}) },
      body,
    };
  });
}

function makeDriver(raw: Record<string, unknown>) {
  const options = z.object(otlpSink.options).parse(raw);
  const logs = captureLogs();
  const metrics = createMetrics();
  const secrets = new Secrets();
  const env: BuildEnv = { id: 'otlp', dataDir: '/nonexistent', resolvePath: (p) => p, logger: logs.logger, metrics, secrets, section: sectionDefault, shared: (_k, make) => make() };
  const driver = sendsPipelineEvents(otlpSink.create({ ...options, ...commonSinkOptions(otlpSink, { requestTimeout: 5000 }), id: 'otlp', type: 'otlp', inputs: ['x'] } as never, env));
  return { driver, logs, metrics, secrets };
}

const signal = () => AbortSignal.timeout(10_000);

/** What the body should look like after OTLP: AnyValue has no "empty list vs null" loss, so it is the same JSON. */
function asJson(v: unknown): Json {
  return JSON.parse(JSON.stringify(v)) as Json;
}

const open: { close(): Promise<void> }[] = [];
const drivers: SinkDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close?.();
  for (const s of open.splice(0)) await s.close();
});

async function receiver(respond?: OtlpReceiver['respond']): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver(respond ? { respond } : {});
  open.push(r);
  return r;
}

function checkRecord(rec: ReceivedRecord, e: PipelineEvent, observed: { min: number; max: number }) {
  expect(rec.body).toEqual(asJson(e.body));
  expect(rec.timeUnixNano).toBe(String(BigInt(e.meta.time) * 1_000_000n));
  const obs = Number(BigInt(rec.observedTimeUnixNano) / 1_000_000n);
  expect(obs).toBeGreaterThanOrEqual(observed.min);
  expect(obs).toBeLessThanOrEqual(observed.max);
  const sev = e.meta.severity ?? (e.body.severity_id as number);
  // Spelled out (not read from the implementation's table) so a changed mapping fails here.
  const expected: Record<number, [number, string]> = { 0: [0, 'Unknown'], 1: [9, 'Informational'], 2: [13, 'Low'], 3: [14, 'Medium'], 4: [17, 'High'], 5: [18, 'Critical'], 6: [21, 'Fatal'] };
  expect([rec.severityNumber, rec.severityText]).toEqual(expected[sev]);
  expect(rec.eventName).toBe('zendesk.audit_log');
  expect(rec.attributes).toEqual({
    'log.record.uid': e.meta.id,
    'zendesk.account': e.meta.account,
    'zendesk.stream': 'audit_log',
    'zsf.schema': 'ocsf',
    'ocsf.class_uid': 3002,
    'ocsf.class_name': 'Authentication',
  });
  expect(rec.resource).toMatchObject({ 'service.name': 'zendesk-siem-forwarder', 'service.version': programVersion(), 'zendesk.account': e.meta.account });
  expect(rec.scope).toEqual({ name: 'zendesk-siem-forwarder', version: programVersion() });
}

// ------------------------------------------------------------------ tests

describe('otlp sink: encoding', () => {
  for (const encoding of ['protobuf', 'json'] as const) {
    for (const compression of ['gzip', 'none'] as const) {
      it(`delivers every event intact as ${encoding} (${compression})`, async () => {
        const rx = await receiver();
        const { driver, metrics } = makeDriver({ endpoint: rx.url, encoding, compression: { type: compression }, headers: { Authorization: 'Bearer s3cr3t-token-value' } });
        drivers.push(driver);
        const events = makeEvents(60, 42);
        const min = Date.now();
        const outcome = await driver.send(events, signal());
        const max = Date.now();
        expect(outcome).toEqual({ kind: 'ok' });
        expect(rx.requests).toHaveLength(1);
        const req = rx.requests[0]!;
        expect(req.contentType).toBe(encoding === 'json' ? 'application/json' : 'application/x-protobuf');
        expect(req.contentEncoding).toBe(compression === 'gzip' ? 'gzip' : undefined);
        expect(req.headers.authorization).toBe('Bearer s3cr3t-token-value');
        expect(req.records).toHaveLength(60);
        req.records.forEach((rec, i) => checkRecord(rec, events[i]!, { min, max }));
        expect(await metric(metrics, 'zsf_sink_bytes_sent_total', { sink: 'otlp' })).toBe(req.wireBytes);
        const raw = await metric(metrics, 'zsf_sink_bytes_uncompressed_total', { sink: 'otlp' });
        if (compression === 'gzip') expect(raw).toBeGreaterThan(req.wireBytes);
        else expect(raw).toBe(req.wireBytes);
      });
    }
  }

  it('puts each account in its own resource', async () => {
    const rx = await receiver();
    const { driver } = makeDriver({ endpoint: rx.url });
    drivers.push(driver);
    const events = makeEvents(10, 7, ['acme', 'globex']);
    expect(await driver.send(events, signal())).toEqual({ kind: 'ok' });
    const byAccount = new Map<Json, string[]>();
    for (const r of rx.requests[0]!.records) byAccount.set(r.resource['zendesk.account']!, [...(byAccount.get(r.resource['zendesk.account']!) ?? []), r.attributes['log.record.uid'] as string]);
    expect([...byAccount.keys()].sort()).toEqual(['acme', 'globex']);
    expect(byAccount.get('acme')!.every((id) => id.startsWith('acme:'))).toBe(true);
    expect(byAccount.get('globex')).toHaveLength(5);
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`sends the same OTLP payload as the stock @opentelemetry/exporter-logs-otlp-${encoding === 'json' ? 'http' : 'proto'} exporter`, async () => {
      const rx = await receiver();
      const { driver } = makeDriver({ endpoint: rx.url, encoding, compression: { type: 'none' } });
      drivers.push(driver);
      const events = makeEvents(25, 99);
      expect(await driver.send(events, signal())).toEqual({ kind: 'ok' });
      const records = createRecordEncoder({ serviceName: 'zendesk-siem-forwarder', serviceVersion: programVersion(), resourceAttributes: {}, scopeVersion: programVersion() })(events);
      const stock = encoding === 'json' ? new StockJsonExporter({ url: rx.url }) : new StockProtoExporter({ url: rx.url });
      const result = await new Promise<{ code: number }>((resolve) => stock.export(records, resolve));
      await stock.shutdown();
      expect(result.code).toBe(0);
      expect(rx.requests).toHaveLength(2);
      const strip = (r: ReceivedRecord) => ({ ...r, observedTimeUnixNano: '' });
      expect(rx.requests[0]!.records.map(strip)).toEqual(rx.requests[1]!.records.map(strip));
    });
  }
});

describe('otlp sink: response classification', () => {
  const cases: { status: number; retryAfter?: string; expected: unknown }[] = [
    { status: 429, retryAfter: '7', expected: { kind: 'retry', retryAfterMs: 7000 } },
    { status: 503, retryAfter: '2', expected: { kind: 'retry', retryAfterMs: 2000 } },
    { status: 502, expected: { kind: 'retry' } },
    { status: 504, expected: { kind: 'retry' } },
    { status: 400, expected: { kind: 'permanent', reason: expect.stringContaining('HTTP 400: field body too deep') } },
    { status: 500, expected: { kind: 'permanent' } },
    { status: 401, expected: { kind: 'auth' } },
    { status: 403, expected: { kind: 'auth' } },
    { status: 413, expected: { kind: 'too_large' } },
  ];
  for (const encoding of ['protobuf', 'json'] as const) {
    for (const c of cases) {
      it(`${encoding}: HTTP ${c.status}${c.retryAfter ? ` with Retry-After ${c.retryAfter}` : ''} -> ${(c.expected as { kind: string }).kind}, sent exactly once`, async () => {
        const rx = await receiver(() => ({ status: c.status, ...(c.retryAfter ? { retryAfter: c.retryAfter } : {}), message: 'field body too deep' }));
        const { driver } = makeDriver({ endpoint: rx.url, encoding });
        drivers.push(driver);
        const outcome = await driver.send(makeEvents(3, 1), signal());
        expect(outcome).toMatchObject(c.expected as object);
        if (c.status === 502 || c.status === 504) expect(outcome).not.toHaveProperty('retryAfterMs');
        // The exporter's built-in retry (5 attempts for 429/502/503/504) must not run: the core retries.
        expect(rx.requests).toHaveLength(1);
      });
    }
  }

  it('honours an HTTP-date Retry-After', async () => {
    const when = new Date(Date.now() + 60_000).toUTCString();
    const rx = await receiver(() => ({ status: 503, retryAfter: when }));
    const { driver } = makeDriver({ endpoint: rx.url });
    drivers.push(driver);
    const outcome = await driver.send(makeEvents(1, 1), signal());
    expect(outcome.kind).toBe('retry');
    const ms = (outcome as { retryAfterMs: number }).retryAfterMs;
    expect(ms).toBeGreaterThan(55_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`${encoding}: partial_success is accepted (not retried), logged and counted`, async () => {
      const rx = await receiver(() => ({ status: 200, partial: { rejected: 3, message: 'dropped 3 oversized records' } }));
      const { driver, logs, metrics } = makeDriver({ endpoint: rx.url, encoding });
      drivers.push(driver);
      expect(await driver.send(makeEvents(10, 3), signal())).toEqual({ kind: 'ok' });
      expect(rx.requests).toHaveLength(1);
      expect(await metric(metrics, 'zsf_sink_errors_total', { sink: 'otlp', reason: 'otlp_partial_rejected' })).toBe(3);
      const warn = logs.lines.map((l) => JSON.parse(l) as { msg: string; rejected?: number; message?: string }).find((l) => l.rejected !== undefined);
      expect(warn).toMatchObject({ rejected: 3, message: 'dropped 3 oversized records' });
    });
  }

  it('a refused connection is a retry', async () => {
    const rx = await startOtlpReceiver();
    const url = rx.url;
    await rx.close();
    const { driver } = makeDriver({ endpoint: url });
    drivers.push(driver);
    const outcome = await driver.send(makeEvents(2, 1), signal());
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('aborts a hanging request when the core aborts the signal', async () => {
    let arrived!: () => void;
    const seen = new Promise<void>((r) => (arrived = r));
    const server = createServer(() => arrived()); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) });
    const { driver } = makeDriver({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs` });
    drivers.push(driver);
    const ac = new AbortController();
    const sending = driver.send(makeEvents(2, 1), ac.signal);
    await seen;
    ac.abort();
    await expect(sending).rejects.toThrow();
  });

  it('healthcheck: an empty export passes on 200 and fails on 401', async () => {
    let status = 200;
    const rx = await receiver(() => ({ status }));
    const { driver } = makeDriver({ endpoint: rx.url });
    drivers.push(driver);
    await driver.healthcheck!(signal());
    expect(rx.requests[0]!.records).toEqual([]);
    status = 401;
    await expect(driver.healthcheck!(signal())).rejects.toThrow(/401/);
  });

  it('registers credential-bearing header values as secrets, so logs and dead letters are scrubbed', async () => {
    const token = 'tok-9f8e7d6c5b4a';
    const rx = await receiver(() => ({ status: 400, message: `your header was Bearer ${token}` }));
    const { driver, secrets, logs } = makeDriver({ endpoint: rx.url, headers: { Authorization: `Bearer ${token}`, 'X-Scope': 'tenant-a' } });
    drivers.push(driver);
    const outcome = await driver.send(makeEvents(1, 1), signal());
    expect(outcome.kind).toBe('permanent');
    // The receiver echoed it; the pipeline scrubs every reason with these secrets before it is logged or dead-lettered.
    expect(secrets.scrub((outcome as { reason: string }).reason)).not.toContain(token);
    expect(secrets.scrub('tenant-a')).toBe('tenant-a');
    expect(logs.lines.join('\n')).not.toContain(token);
  });
});

describe('otlp example', () => {
  it('examples/otlp.yaml validates, registers the bearer token as a secret and reaches a receiver', async () => {
    const rx = await receiver();
    const env = { OTLP_ENDPOINT: rx.url, OTLP_TOKEN: 'example-otlp-token-1234', ZENDESK_EMAIL: 'a@example.com', ZENDESK_API_TOKEN: 'zd-token-1234' };
    const loaded = loadConfigFile(new URL('../../examples/otlp.yaml', import.meta.url).pathname, env);
    expect(loaded.secrets.scrub('Authorization: Bearer example-otlp-token-1234')).not.toContain('example-otlp-token-1234');
    const sink = loaded.config.sinks.find((s) => s.type === 'otlp')!;
    const { driver } = makeDriver(Object.fromEntries(Object.entries(sink).filter(([k]) => k in otlpSink.options)));
    drivers.push(driver);
    expect(await driver.send(makeEvents(2, 5), signal())).toEqual({ kind: 'ok' });
    expect(rx.requests[0]!.headers.authorization).toBe('Bearer example-otlp-token-1234');
    expect(rx.requests[0]!.records[0]!.resource['deployment.environment.name']).toBe('prod');
  });
});

describe('otlp through the shared HTTP layer', () => {
  /** A bare server on loopback answering every request with `answer`. */
  async function bareServer(answer: (res: ServerResponse) => void) {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`, seen };
  }

  it('does not follow a redirect and retries it (the data is kept), naming the Location', async () => {
    const target = await bareServer((res) => res.writeHead(200).end());
    const redirecting = await bareServer((res) => res.writeHead(307, { location: target.url }).end());
    const { driver } = makeDriver({ endpoint: redirecting.url });
    drivers.push(driver);
    const outcome = await driver.send(makeEvents(2, 1), signal());
    expect(outcome).toEqual({ kind: 'retry', reason: `HTTP 307; redirected to ${target.url}: fix the endpoint` });
    expect(redirecting.seen).toEqual(['POST /v1/logs']);
    expect(target.seen).toEqual([]);
  });

  it('resolves a relative tls.caFile against the config folder, not the working directory', async (ctx) => {
    const configDir = tempDir();
    const certs = await selfSignedCert(configDir);
    if (!certs) return ctx.skip(); // no openssl on this machine
    let requests = 0;
    const server = createHttpsServer({ key: certs.key, cert: certs.cert }, (req, res) => {
      requests++;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
    const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
    const options = z.object(otlpSink.options).parse({ endpoint, tls: { caFile: 'cert.pem' } });
    const env: BuildEnv = {
      id: 'otlp',
      dataDir: '/nonexistent',
      resolvePath: (p) => join(configDir, p),
      logger: captureLogs().logger,
      metrics: createMetrics(),
      secrets: new Secrets(),
      section: sectionDefault,
      shared: (_k, make) => make(),
    };
    const driver = sendsPipelineEvents(otlpSink.create({ ...options, ...commonSinkOptions(otlpSink, { requestTimeout: 5000 }), id: 'otlp', type: 'otlp', inputs: ['x'] } as never, env));
    drivers.push(driver);
    expect(await driver.send(makeEvents(2, 1), signal())).toEqual({ kind: 'ok' });
    expect(requests).toBe(1);
    // The same relative name read from the working directory does not exist.
    expect(existsSync('cert.pem')).toBe(false);
  });
});

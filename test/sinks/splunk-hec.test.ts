// The splunk_hec driver against the protocol receiver: encoding, routing templates, gzip,
// raw mode, the HEC error-code table, invalid-event-number handling, limits, TLS, proxy.

import { isAbsolute, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { sectionDefault, type BuildEnv } from '../../src/core/plugin.js';
import { recordToEvent, type PipelineEvent, type SendOutcome, type SinkDriver } from '../../src/core/types.js';
import { generateRecord } from '../../src/sources/generator.js';
import { splunkHecSink } from '../../src/sinks/splunk-hec/index.js';
import { hecOptions } from '../../src/sinks/splunk-hec/config.js';
import { hecTime } from '../../src/sinks/splunk-hec/encode.js';
import { loadConfigFile, loadConfigObject } from '../../src/app/config.js';
import { captureLogs } from '../support/capture-logs.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import { metric } from '../support/metric.js';
import type { InjectedResponse } from '../support/receiver-base.js';
import { selfSignedCert } from '../support/self-signed-cert.js';
import { tempDir } from '../support/temp-dir.js';
import { parseConcatenated, startHecReceiver, type HecReceiver } from '../receivers/hec.js';
import { deliverThroughCore } from '../support/drive-sink.js';
import { commonSinkOptions } from '../support/sink-options.js';
import { sendsPipelineEvents } from '../support/sink-events.js';

const TOKEN = 'hec-token-5f1c2a9e-secret';
const T0 = Date.parse('2026-01-01T00:00:00Z') + 123; // event times carry milliseconds

function events(n: number, opts: { stream?: string; account?: string; seed?: number } = {}): PipelineEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const r = generateRecord(i, opts.account ?? 'acme', opts.stream ?? 'audit_log', Date.parse('2026-01-01T00:00:00Z'), opts.seed ?? 7);
    const e = recordToEvent(r);
    e.meta.time = T0 + i * 1001;
    return e;
  });
}

function makeEnv() {
  const logs = captureLogs();
  const secrets = new Secrets();
  secrets.add(TOKEN);
  const metrics = createMetrics();
  const env: BuildEnv = {
    id: 'splunk',
    dataDir: tempDir(),
    resolvePath: (p: string) => (isAbsolute(p) ? p : join(configDir, p)),
    logger: logs.logger,
    metrics,
    secrets,
    section: sectionDefault,
    shared: <T>(_k: string, make: () => T) => make(),
  };
  return { env, logs, metrics };
}

// Relative paths in sink options (TLS files) resolve against this "config folder".
const configDir = tempDir('zsf-config-');

const drivers: SinkDriver[] = [];
const receivers: HecReceiver[] = [];

async function setup(over: Record<string, unknown> = {}, rcv: Parameters<typeof startHecReceiver>[0] = {}) {
  const receiver = await startHecReceiver({ tokens: [TOKEN], ...rcv });
  receivers.push(receiver);
  const { env, logs, metrics } = makeEnv();
  const parsed = z.strictObject(hecOptions).parse({ endpoint: receiver.url, token: TOKEN, ...over });
  const driver = splunkHecSink.create({ ...parsed, ...commonSinkOptions(splunkHecSink, { requestTimeout: 5000 }), id: 'splunk', type: 'splunk_hec', inputs: ['x'] } as never, env);
  drivers.push(driver);
  // `driver` takes PipelineEvents (serialised per send, as fan-out does); the core takes the driver itself.
  return { receiver, driver: sendsPipelineEvents(driver), sinkDriver: driver, logs, metrics };
}

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close?.()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

describe('splunk_hec encoding', () => {
  it('sends concatenated JSON envelopes with the event time, default routing and Splunk auth, gzipped on the wire', async () => {
    const { receiver, driver, metrics } = await setup();
    const evs = [
      ...events(2, { stream: 'audit_log' }),
      ...events(1, { stream: 'ticket_audit' }),
      ...events(1, { stream: 'access_log' }),
      ...events(1, { stream: 'custom_stream' }),
    ];
    evs[1]!.meta.sourcetype = 'ocsf:zendesk:audit';
    const out = await driver.send(evs, AbortSignal.timeout(5000));
    expect(out).toEqual({ kind: 'ok' });

    expect(receiver.dataRequests).toHaveLength(1);
    const req = receiver.dataRequests[0]!;
    expect(req.path).toBe('/services/collector/event');
    expect(req.headers.authorization).toBe(`Splunk ${TOKEN}`);
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['x-splunk-request-channel']).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.framing).toBe('concatenated');
    expect(req.wireBytes).toBeLessThan(req.decodedBytes);
    // time is epoch seconds with exactly three decimals, from the event
    expect(req.bodyText).toContain(`"time":${Math.floor(T0 / 1000)}.123,`);

    const got = receiver.indexed;
    expect(got).toHaveLength(5);
    got.forEach((r, i) => {
      expect(r.time).toBe(evs[i]!.meta.time / 1000);
      expect(r.event).toEqual(evs[i]!.body);
      expect(r.host).toBe('acme.zendesk.com');
      expect(r.source).toBe('zendesk:acme');
      expect(r.index).toBeUndefined();
    });
    expect(got.map((r) => r.sourcetype)).toEqual(['zendesk:audit', 'ocsf:zendesk:audit', 'zendesk:ticket_audit', 'zendesk:access', 'zendesk:custom_stream']);

    expect(await metric(metrics, 'zsf_sink_bytes_sent_total')).toBe(req.wireBytes);
    expect(await metric(metrics, 'zsf_sink_bytes_uncompressed_total')).toBe(req.decodedBytes);
  });

  it('formats HEC time without exponent or float noise', () => {
    expect(hecTime(1767225600123)).toBe('1767225600.123');
    expect(hecTime(1767225600005)).toBe('1767225600.005');
    expect(hecTime(1000)).toBe('1.000');
  });

  it('renders sourcetype/source/host/index templates and flat indexed fields, omitting empty values', async () => {
    const { receiver, driver } = await setup(
      {
        sourcetype: 'zsf:{stream}:{body.action}',
        source: '{{literal}}-{meta.account}',
        host: '{body.no_such_field}',
        index: 'zd_{account}',
        fields: { account: '{account}', actor: '{body.actor_name}', absent: '{body.nope}', sev: '{severity}' },
        compression: { type: 'none' },
      },
    );
    const evs = events(3);
    evs[0]!.meta.severity = 4;
    expect(await driver.send(evs, AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    const req = receiver.dataRequests[0]!;
    expect(req.headers['content-encoding']).toBeUndefined();
    receiver.indexed.forEach((r, i) => {
      const body = evs[i]!.body as { action: string; actor_name: string };
      expect(r.sourcetype).toBe(`zsf:audit_log:${body.action}`);
      expect(r.source).toBe('{literal}-acme');
      expect(r.host).toBeUndefined();
      expect(r.index).toBe('zd_acme');
      expect(r.fields).toEqual({ account: 'acme', actor: body.actor_name, ...(i === 0 ? { sev: '4' } : {}) });
    });
  });

  it('rejects malformed templates at config load with the reason', () => {
    const bad = {
      dataDir: tempDir(),
      sources: [{ id: 'gen', type: 'generator' }],
      sinks: [{ id: 'splunk', type: 'splunk_hec', inputs: ['gen'], endpoint: 'https://splunk:8088', token: 'x1234', sourcetype: 'zendesk:{stream' }],
    };
    expect(() => loadConfigObject(bad, { env: {} })).toThrow(/unclosed "\{"/);
  });

  it('examples/splunk.yaml validates, with the token registered as a secret', () => {
    const env = { SPLUNK_HEC_URL: 'https://splunk.example.com:8088', SPLUNK_HEC_TOKEN: 'example-token-1234', ZENDESK_EMAIL: 'a@example.com', ZENDESK_API_TOKEN: 'zd-token-1234' };
    const loaded = loadConfigFile(new URL('../../examples/splunk.yaml', import.meta.url).pathname, env);
    const sink = loaded.config.sinks.find((s) => s.type === 'splunk_hec')!;
    expect(sink).toMatchObject({ endpoint: 'https://splunk.example.com:8088', index: 'zendesk', maxContentLength: 1_000_000, acknowledgements: { enabled: true, queryInterval: 1000, timeout: 25_000 } });
    expect(loaded.secrets.scrub('Splunk example-token-1234')).toBe('Splunk [REDACTED]');
  });

  it('raw mode posts one event per line with routing in the query string, one request per routing set', async () => {
    const { receiver, driver } = await setup({ mode: 'raw', index: 'idx_{stream}' });
    const evs = [...events(2, { stream: 'audit_log' }), ...events(2, { stream: 'access_log' })];
    expect(await driver.send(evs, AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    const reqs = receiver.dataRequests;
    expect(reqs).toHaveLength(2);
    expect(reqs.every((r) => r.path === '/services/collector/raw' && r.framing === 'raw')).toBe(true);
    expect(reqs.map((r) => r.query.sourcetype).sort()).toEqual(['zendesk:access', 'zendesk:audit']);
    expect(reqs.every((r) => r.query.channel === r.headers['x-splunk-request-channel'])).toBe(true);
    const bySt = Object.fromEntries(reqs.map((r) => [r.query.sourcetype, r]));
    expect(bySt['zendesk:audit']!.query.index).toBe('idx_audit_log');
    expect(receiver.indexed.map((r) => r.event)).toEqual(evs.map((e) => e.body));
  });
});

describe('HEC receiver framing (test infrastructure)', () => {
  it('parses concatenated objects with or without separators, flags arrays and reports bad JSON', () => {
    expect(parseConcatenated('{"event":1}{"event":"}{"} \n{"event":3}')).toEqual({ values: [{ event: 1 }, { event: '}{' }, { event: 3 }], array: false });
    expect(parseConcatenated('[{"event":1},{"event":2}]')).toEqual({ values: [{ event: 1 }, { event: 2 }], array: true });
    expect(parseConcatenated('{"event":1}\n{"event":').error).toBeDefined();
  });
});

describe('splunk_hec response classification', () => {
  const busy = (code: number, text: string, status: number, headers: Record<string, string> = {}): InjectedResponse => ({ status, body: JSON.stringify({ text, code }), headers });
  const cases: [string, InjectedResponse, Partial<SendOutcome> & { kind: SendOutcome['kind'] }][] = [
    ['401 code 2 token required', busy(2, 'Token is required', 401), { kind: 'auth' }],
    ['401 code 3 invalid authorization', busy(3, 'Invalid authorization', 401), { kind: 'auth' }],
    ['403 code 1 token disabled', busy(1, 'Token disabled', 403), { kind: 'auth' }],
    ['403 code 4 invalid token', busy(4, 'Invalid token', 403), { kind: 'auth' }],
    ['400 code 16 query string auth', busy(16, 'Query string authorization is not enabled', 400), { kind: 'auth' }],
    ['503 code 9 server busy + Retry-After', busy(9, 'Server is busy', 503, { 'retry-after': '7' }), { kind: 'retry', retryAfterMs: 7000 }],
    ['500 code 8 internal error', busy(8, 'Internal server error', 500), { kind: 'retry' }],
    ['503 code 18 queues full', busy(18, 'HEC is unhealthy, queues are full', 503), { kind: 'retry' }],
    ['429 with HTTP-date Retry-After', { status: 429, body: 'slow down', headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() } }, { kind: 'retry' }],
    ['408', { status: 408, body: '' }, { kind: 'retry' }],
    ['502 from a proxy', { status: 502, body: '<html>bad gateway</html>' }, { kind: 'retry' }],
    ['400 code 5 no data', busy(5, 'No data', 400), { kind: 'permanent' }],
    ['400 code 6 without a position', busy(6, 'Invalid data format', 400), { kind: 'permanent' }],
    ['400 code 10 channel missing', busy(10, 'Data channel is missing', 400), { kind: 'permanent' }],
    ['400 code 11 invalid channel', busy(11, 'Invalid data channel', 400), { kind: 'permanent' }],
    ['400 code 14 ack disabled', busy(14, 'ACK is disabled', 400), { kind: 'permanent' }],
    ['404 wrong path', { status: 404, body: 'not found' }, { kind: 'permanent' }],
    ['501', { status: 501, body: 'not implemented' }, { kind: 'permanent' }],
    ['301 redirect (not followed, data kept)', { status: 301, body: '', headers: { location: 'https://elsewhere:8088/services/collector/event' } }, { kind: 'retry' }],
    ['413 content too large', { status: 413, body: '{"text":"Content-Length of 2000000 too large (maximum is 1000000)","code":413}' }, { kind: 'too_large' }],
  ];
  for (const [name, response, expected] of cases) {
    it(`${name} -> ${expected.kind}`, async () => {
      const { receiver, driver, logs } = await setup();
      receiver.failNext(1, response);
      const out = await driver.send(events(3), AbortSignal.timeout(5000));
      expect(out).toMatchObject(expected);
      if (expected.kind === 'retry' && name.includes('HTTP-date')) {
        expect((out as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(50_000);
      }
      const reason = (out as { reason: string }).reason;
      expect(reason).toContain(`HTTP ${response.status}`);
      const text = (JSON.parse(response.body?.startsWith('{') ? response.body : '{}') as { text?: string }).text;
      if (text) expect(reason).toContain(text);
      expect(reason).not.toContain(TOKEN);
      expect(logs.lines.join('\n')).not.toContain(TOKEN);
    });
  }

  it('answers from the real token check are auth failures, never leaking the token', async () => {
    const { driver, receiver } = await setup({}, { tokens: ['some-other-token'] });
    const out = await driver.send(events(2), AbortSignal.timeout(5000));
    expect(out).toMatchObject({ kind: 'auth', reason: 'HEC HTTP 403 code 4: Invalid token' });
    expect(receiver.indexed).toHaveLength(0);
    receiver.disabledTokens.add(TOKEN);
    receiver.tokens.add(TOKEN);
    expect(await driver.send(events(1), AbortSignal.timeout(5000))).toMatchObject({ kind: 'auth', reason: 'HEC HTTP 403 code 1: Token disabled' });
  });

  it('a dropped connection throws (the core retries it)', async () => {
    const { receiver, driver } = await setup();
    receiver.failNext(1, { status: 0, drop: true });
    await expect(driver.send(events(2), AbortSignal.timeout(5000))).rejects.toThrow();
    expect(await driver.send(events(2), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
  });

  it('a request that never answers is aborted by the signal (request timeout)', async () => {
    const { receiver, driver } = await setup();
    receiver.failNext(1, { status: 0, hang: true });
    const started = Date.now();
    await expect(driver.send(events(2), AbortSignal.timeout(150))).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refuses to send a batch above maxContentLength (too_large, no request)', async () => {
    const { receiver, driver } = await setup({ maxContentLength: 4096 });
    const out = await driver.send(events(10), AbortSignal.timeout(5000));
    expect(out.kind).toBe('too_large');
    expect((out as { reason: string }).reason).toMatch(/above maxContentLength 4096/);
    expect(receiver.requests).toHaveLength(0);
    expect(await driver.send(events(1), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
  });
});

describe('splunk_hec invalid-event-number', () => {
  it('settles a blank event locally (HEC would answer code 13) and sends the rest in one request', async () => {
    const { receiver, driver } = await setup();
    const evs = events(4);
    evs[1]!.body = {};
    expect(await driver.send(evs, AbortSignal.timeout(5000))).toEqual({ kind: 'partial', rejected: [{ index: 1, reason: expect.stringContaining('code 13') }] });
    expect(receiver.dataRequests.map((r) => r.status)).toEqual([200]);
    expect(receiver.indexed.map((r) => (r.event as { id: number }).id)).toEqual([0, 2, 3]);
  });

  it('answers the event HEC names as rejected, in one request, and asks the core to resend the rest', async () => {
    const { receiver, driver } = await setup();
    const evs = events(5);
    evs[2]!.meta.time = Number.NaN; // a broken upstream time: the envelope is not valid JSON (HEC code 6 at position 2)
    expect(await driver.send(evs, AbortSignal.timeout(5000))).toEqual({
      kind: 'partial',
      rejected: [{ index: 2, reason: 'HEC HTTP 400 code 6: Invalid data format (invalid-event-number 2)' }],
      resendRest: true,
    });
    expect(receiver.dataRequests.map((r) => r.status)).toEqual([400]);
  });

  it('through the core: dead-letters only the event HEC names and resends the others (nothing lost)', async () => {
    const { receiver, sinkDriver } = await setup();
    const evs = events(5);
    evs[2]!.meta.time = Number.NaN;
    const out = await deliverThroughCore(sinkDriver, evs);
    expect(out.deadLetters).toEqual([{ index: 2, reason: 'HEC HTTP 400 code 6: Invalid data format (invalid-event-number 2)' }]);
    expect(out.sent).toBe(4);
    expect(receiver.dataRequests.map((r) => r.status)).toEqual([400, 200]);
    // splunkd indexed 0 and 1 before the error; they are sent again (at-least-once), 3 and 4 once
    const ids = receiver.indexed.map((r) => (r.event as { id: number }).id);
    expect(ids.sort()).toEqual([0, 0, 1, 1, 3, 4]);
  });

  it('also loses nothing when the HEC drops the whole request on error', async () => {
    const { receiver, sinkDriver } = await setup({}, { partialIndexing: false });
    const evs = events(6);
    evs[1]!.meta.time = Number.NaN;
    evs[4]!.meta.time = Number.NaN;
    const out = await deliverThroughCore(sinkDriver, evs);
    expect(out.deadLetters.map((d) => d.index)).toEqual([1, 4]);
    expect(out.sent).toBe(4);
    expect(receiver.dataRequests.map((r) => r.status)).toEqual([400, 400, 200]);
    expect(receiver.indexed.map((r) => (r.event as { id: number }).id).sort()).toEqual([0, 2, 3, 5]);
  });

  it('code 7 (incorrect index) rejects every event routed to that index at once', async () => {
    const { receiver, sinkDriver } = await setup({ index: '{body.source_type}' }, { allowedIndexes: ['user', 'rule', 'ticket', 'organization', 'account_setting'] });
    const evs = events(40);
    const bad = evs.map((e, i) => [e, i] as const).filter(([e]) => e.body.source_type === 'apitoken').map(([, i]) => i);
    expect(bad.length).toBeGreaterThan(1);
    const out = await deliverThroughCore(sinkDriver, evs);
    expect(out.deadLetters.map((r) => r.index)).toEqual(bad);
    expect(out.deadLetters[0]!.reason).toMatch(/code 7: Incorrect index/);
    expect(out.sent).toBe(40 - bad.length);
    expect(receiver.dataRequests).toHaveLength(2);
    const delivered = new Set(receiver.indexed.map((r) => (r.event as { id: number }).id));
    for (let i = 0; i < 40; i++) expect(delivered.has(i)).toBe(!bad.includes(i));
  });
});

describe('splunk_hec healthcheck', () => {
  it('passes on a healthy HEC and fails with HEC\'s text otherwise', async () => {
    const { receiver, driver } = await setup();
    await driver.healthcheck!(AbortSignal.timeout(5000));
    expect(receiver.requests.at(-1)!.path).toBe('/services/collector/health');
    receiver.unhealthy = true;
    await expect(driver.healthcheck!(AbortSignal.timeout(5000))).rejects.toThrow('HEC health check failed: HEC HTTP 503 code 18: HEC is unhealthy, queues are full');
    receiver.unhealthy = false;
    receiver.tokens.clear();
    await expect(driver.healthcheck!(AbortSignal.timeout(5000))).rejects.toThrow(/Invalid HEC token/);
  });
});

describe('splunk_hec TLS and proxy', () => {
  let certs: Awaited<ReturnType<typeof selfSignedCert>>;
  beforeAll(async () => {
    certs = await selfSignedCert(configDir);
  });

  it('verifies certificates by default, trusts a caFile, and skips verification only when told to', async (ctx) => {
    if (!certs) return ctx.skip();
    const tls = { key: certs.key, cert: certs.cert };
    const strict = await setup({}, { tls });
    expect(strict.receiver.url.startsWith('https://')).toBe(true);
    await expect(strict.driver.send(events(1), AbortSignal.timeout(5000))).rejects.toThrow(/self.signed|certificate/i);
    expect(strict.receiver.indexed).toHaveLength(0);

    const withCa = await setup({ tls: { caFile: 'cert.pem' } }, { tls }); // relative: resolved against the config folder
    expect(await withCa.driver.send(events(2), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    expect(withCa.receiver.indexed).toHaveLength(2);

    const insecure = await setup({ tls: { insecureSkipVerify: true } }, { tls });
    expect(await insecure.driver.send(events(1), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
  });

  it('sends through an HTTP CONNECT proxy when `proxy` is set', async () => {
    const proxy = await startConnectProxy();
    try {
      const { receiver, driver } = await setup({ proxy: proxy.url, acknowledgements: { enabled: true, queryInterval: 10, timeout: 3000 } }, { ackEnabled: true });
      expect(await driver.send(events(3), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
      expect(receiver.indexed).toHaveLength(3);
      expect(proxy.tunnels.length).toBeGreaterThan(0);
      expect(proxy.tunnels.every((t) => t === `127.0.0.1:${receiver.port}`)).toBe(true);
      await driver.close?.();
    } finally {
      await proxy.close();
    }
  });
});

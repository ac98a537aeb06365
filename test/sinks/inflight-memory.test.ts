// What a request in flight keeps alive. A request may hang for up to `requestTimeout`, in every
// concurrency slot of every sink at once (a fault storm), so it must hold only its compressed
// body (kept for retries in the batch's EncodingMemo), not the uncompressed request the client
// library serialised nor the records it was built from. Checked with a real collection while
// the transport holds the request open: WeakRefs to what must be garbage by then.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { recordToEvent, toSinkEvent } from '../../src/core/types.js';
import { generateRecord } from '../../src/sources/generator.js';
import { loadDatadogClient } from '../../src/sinks/datadog/driver.js';
import { callScope, createUndiciHttpLibrary } from '../../src/sinks/datadog/http-api.js';
import { createExporter } from '../../src/sinks/otlp/exporter.js';
import { createRecordEncoder } from '../../src/sinks/otlp/encode.js';
import type { DeliveryRequest, DeliveryResponse, HttpTransport, PreparedBody } from '../../src/sinks/shared/http.js';
import { eventually } from '../support/eventually.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects after the current job: WeakRefs hold their targets until it ends. */
async function collect(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  gc();
}

/**
 * A transport that compresses for real and holds every send open until `answer()`. `raw`
 * refers weakly to each uncompressed body handed to `prepare`.
 */
function holdingTransport() {
  const raw: WeakRef<object>[] = [];
  const sent: DeliveryRequest[] = [];
  let release: (r: DeliveryResponse) => void = () => undefined;
  const answered = new Promise<DeliveryResponse>((r) => (release = r));
  const transport = {
    async prepare(body: Buffer | string): Promise<PreparedBody> {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      raw.push(new WeakRef(bytes.buffer));
      await new Promise((r) => setImmediate(r)); // compression is asynchronous
      return { wire: gzipSync(bytes), encoding: 'gzip', rawBytes: bytes.length };
    },
    send(req: DeliveryRequest): Promise<DeliveryResponse> {
      sent.push(req);
      return answered;
    },
  } as unknown as HttpTransport;
  const answer = (status: number, text: string) =>
    release({ status, headers: { 'content-type': 'application/json' }, body: Buffer.from(text), text, truncated: false, rawBytes: 0, wireBytes: 0 });
  return { transport, raw, sent, answer };
}

const events = (n: number) => Array.from({ length: n }, (_, i) => toSinkEvent(recordToEvent(generateRecord(i, 'acme', 'audit_log', Date.parse('2026-01-01T00:00:00Z'), 3))));

describe('a request in flight holds only its compressed body', () => {
  it('Datadog: while submitLog waits for the intake, the client\'s request context and the uncompressed body are garbage', async () => {
    const dd = await loadDatadogClient();
    const t = holdingTransport();
    const library = createUndiciHttpLibrary(dd.client, t.transport, { type: 'gzip', level: 6 });
    let context: WeakRef<object> | undefined;
    const httpApi = {
      send(request: Parameters<typeof library.send>[0]) {
        context = new WeakRef(request);
        return library.send(request);
      },
    };
    const logs = new dd.v2.LogsApi(
      dd.client.createConfiguration({ baseServer: new dd.client.ServerConfiguration('http://127.0.0.1:9', {}), authMethods: { apiKeyAuth: 'k' }, httpApi, enableRetry: false }),
    );
    const body = events(200).map((e) => ({ ddsource: 'zendesk', service: 'zendesk', message: e.json }));
    const scope = {};
    const submitted = callScope.run(scope, () => logs.submitLog({ body, contentEncoding: 'gzip' }));
    await eventually(() => t.sent.length === 1, 'the request to reach the transport');
    await collect();
    expect(context).toBeDefined();
    expect(t.raw).toHaveLength(1);
    expect(context!.deref()).toBeUndefined();
    expect(t.raw[0]!.deref()).toBeUndefined();
    // The request that went out is the compressed one, and the call completes normally.
    const sent = t.sent[0]!;
    expect((sent.body as PreparedBody).encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync((sent.body as PreparedBody).wire).toString('utf8'))).toHaveLength(200);
    t.answer(202, '{}');
    await submitted;
  });

  it('OTLP: while the export waits for the collector, the records and the serialised request are garbage', async () => {
    const exporter = createExporter('protobuf', 'http://127.0.0.1:9/v1/logs');
    const encode = createRecordEncoder({ serviceName: 'zsf', serviceVersion: '0', resourceAttributes: {}, scopeVersion: '0' });
    const t = holdingTransport();
    let records: WeakRef<ReadableLogRecord[]> | undefined;
    const attempt = (() => {
      const built = encode(events(200).map((e) => ({ meta: e.meta, body: JSON.parse(e.json) as Record<string, unknown> })));
      records = new WeakRef(built);
      return exporter.exportOnce(built, { url: 'http://127.0.0.1:9/v1/logs', transport: t.transport, headers: {}, contentType: 'application/x-protobuf', signal: new AbortController().signal }, 10_000);
    })();
    await eventually(() => t.sent.length === 1, 'the request to reach the transport');
    await collect();
    expect(records!.deref()).toBeUndefined();
    expect(t.raw).toHaveLength(1);
    expect(t.raw[0]!.deref()).toBeUndefined();
    t.answer(200, '');
    const done = await attempt;
    expect(done.response?.status).toBe(200);
    expect(done.prepared?.rawBytes).toBeGreaterThan(200 * 100);
  });
});

// otlp through the whole pipeline (generator source -> ocsf transform -> sink runner -> driver
// -> OTLP/HTTP receiver that decodes protobuf and JSON independently of the sink's encoder):
// every event once with its mapped attributes, 429/503 Retry-After, a 400 dead-lettered with
// the receiver's reason, a 413 split down to what fits, and an outage with a disk buffer.

import { describe, expect, it } from 'vitest';
import { checkpointNext } from '../support/checkpoints.js';
import { eventually } from '../support/eventually.js';
import { metric } from '../support/metric.js';
import { readDeadLetters } from '../support/probe.js';
import { closeAfterEach, generatorToSink, range, startSinkPipeline } from '../support/sink-pipeline.js';
import { tempDir } from '../support/temp-dir.js';
import { startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions, type ReceivedRecord } from '../receivers/otlp.js';

const cleanup = closeAfterEach();

async function receiver(opts: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver(opts);
  cleanup(() => r.close());
  return r;
}

const config = (dataDir: string, sink: Record<string, unknown>, gen: Record<string, unknown> = {}) =>
  generatorToSink(dataDir, { id: 'otlp', type: 'otlp', inputs: ['ocsf'], ...sink }, { gen: { seed: 17, ...gen }, transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['gen'] }] });

const start = (cfg: unknown, opts: { once?: boolean; sleeps?: number[] } = {}) => startSinkPipeline(cfg, cleanup, opts);

/** The generator's record number, from the deterministic event id `acme:audit_log:<n>`. */
const recordNo = (r: ReceivedRecord) => Number(String(r.attributes['log.record.uid']).split(':')[2]);
const ids = (rcv: OtlpReceiver) => rcv.accepted.map(recordNo);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const deadIds = (dataDir: string) => readDeadLetters(dataDir).map((d) => Number((d.payload as { meta: { id: string } }).meta.id.split(':')[2]));

describe('otlp in the pipeline', () => {
  it.each(['protobuf', 'json'] as const)('%s: delivers every event once, with the OCSF mapping in body, attributes, severity and time, and commits', async (encoding) => {
    const rcv = await receiver();
    const dataDir = tempDir();
    const p = await start(config(dataDir, { endpoint: rcv.url, encoding, batch: { maxEvents: 40, maxBytes: '1MiB', maxWait: '20ms' } }, { count: 300, batchSize: 100 }), { once: true });
    expect(await p.done).toEqual({ ok: true, failures: [] });

    expect(sorted(ids(rcv))).toEqual(range(300));
    expect(rcv.requests.every((r) => r.recordCount <= 40 && r.status === 200)).toBe(true);
    expect(rcv.requests.every((r) => r.contentType === (encoding === 'json' ? 'application/json' : 'application/x-protobuf') && r.contentEncoding === 'gzip')).toBe(true);
    for (const r of rcv.accepted) {
      const body = r.body as { class_uid: number; class_name: string; severity_id: number; time: number; metadata: { uid: string } };
      const uid = `acme:audit_log:${recordNo(r)}`;
      expect(body.metadata.uid).toBe(uid);
      expect(r.attributes).toMatchObject({ 'log.record.uid': uid, 'zendesk.account': 'acme', 'zendesk.stream': 'audit_log', 'zsf.schema': 'ocsf', 'ocsf.class_uid': body.class_uid, 'ocsf.class_name': body.class_name });
      expect(r.resource).toMatchObject({ 'service.name': 'zendesk-siem-forwarder', 'zendesk.account': 'acme' });
      expect(r.eventName).toBe('zendesk.audit_log');
      expect(r.timeUnixNano).toBe(`${body.time}000000`);
      expect(r.severityText).not.toBe('');
    }
    // The OCSF mapping gives more than one class and severity; each reaches OTLP as mapped.
    expect(new Set(rcv.accepted.map((r) => r.attributes['ocsf.class_uid'])).size).toBeGreaterThan(1);
    expect(checkpointNext(dataDir)).toBe(300);
    expect(await metric(p, 'zsf_sink_events_sent_total', { sink: 'otlp' })).toBe(300);
    expect(await metric(p, 'zsf_sink_bytes_sent_total', { sink: 'otlp' })).toBe(rcv.requests.reduce((s, r) => s + r.wireBytes, 0));
    expect(readDeadLetters(dataDir)).toEqual([]);
  });

  it('retries 429 and 503 after the Retry-After they carry, and delivers once', async () => {
    const script = [
      { status: 429, retryAfter: '3', message: 'slow down' },
      { status: 503, retryAfter: '4', message: 'collector busy' },
    ];
    const rcv = await receiver({ respond: () => script.shift() ?? { status: 200 } });
    const sleeps: number[] = [];
    const p = await start(config(tempDir(), { endpoint: rcv.url }, { count: 50, batchSize: 50 }), { once: true, sleeps });
    expect((await p.done).ok).toBe(true);
    expect(rcv.requests.map((r) => r.status)).toEqual([429, 503, 200]);
    expect(sorted(ids(rcv))).toEqual(range(50));
    // Without Retry-After the waits would be at most maxBackoff (5 ms).
    expect(sleeps.filter((ms) => ms === 3000 || ms === 4000)).toEqual([3000, 4000]);
    expect(await metric(p, 'zsf_sink_retries_total', { sink: 'otlp' })).toBe(2);
  });

  it('dead-letters the batch a 400 refuses, with the status and the receiver\'s message, and delivers the rest', async () => {
    // The batch holding record 120 is refused: the OTLP spec says a 400 MUST NOT be retried.
    const rcv = await receiver({ respond: (req) => (req.records.some((r) => recordNo(r) === 120) ? { status: 400, message: 'field body too deep' } : { status: 200 }) });
    const dataDir = tempDir();
    const p = await start(config(dataDir, { endpoint: rcv.url, batch: { maxEvents: 50, maxBytes: '1MiB', maxWait: '20ms' } }, { count: 200, batchSize: 50 }), { once: true });
    expect((await p.done).ok).toBe(true);

    const refused = rcv.requests.filter((r) => r.status === 400);
    expect(refused).toHaveLength(1); // never retried
    const refusedIds = refused[0]!.records.map(recordNo);
    expect(refusedIds).toContain(120);
    const dead = readDeadLetters(dataDir);
    expect(sorted(deadIds(dataDir))).toEqual(sorted(refusedIds));
    expect(dead.every((d) => d.component === 'otlp' && d.reason === 'rejected' && /400/.test(d.detail ?? '') && /field body too deep/.test(d.detail ?? ''))).toBe(true);
    expect(sorted([...ids(rcv), ...deadIds(dataDir)])).toEqual(range(200));
    expect(new Set(ids(rcv)).size).toBe(ids(rcv).length);
    // A dead letter replaces delivery: the checkpoint moves past the refused batch.
    expect(checkpointNext(dataDir)).toBe(200);
  });

  it('on 413 halves the batch until it fits, and dead-letters as too_large only a single record still refused', async () => {
    const maxRecords = 10;
    const rcv = await receiver({ respond: (req) => (req.recordCount > maxRecords || req.records.some((r) => recordNo(r) === 7) ? { status: 413, message: 'request too large' } : { status: 200 }) });
    const dataDir = tempDir();
    const p = await start(config(dataDir, { endpoint: rcv.url, batch: { maxEvents: 60, maxBytes: '1MiB', maxWait: '50ms' } }, { count: 60, batchSize: 60 }), { once: true });
    expect((await p.done).ok).toBe(true);

    expect(rcv.requests[0]).toMatchObject({ status: 413, recordCount: 60 });
    expect(rcv.requests.filter((r) => r.status === 200).every((r) => r.recordCount <= maxRecords)).toBe(true);
    // 60 -> 30 -> 15 -> 8/7: every half that still holds record 7 is refused, down to record 7 alone.
    expect(rcv.requests.some((r) => r.status === 413 && r.recordCount === 1 && recordNo(r.records[0]!) === 7)).toBe(true);
    expect(sorted(ids(rcv))).toEqual(range(60).filter((n) => n !== 7));
    const dead = readDeadLetters(dataDir);
    expect(dead).toHaveLength(1);
    expect(deadIds(dataDir)).toEqual([7]);
    expect(dead[0]).toMatchObject({ component: 'otlp', reason: 'too_large' });
    expect(dead[0]!.detail).toMatch(/413/);
  });

  it('loses nothing across a collector outage with a disk buffer, even when the forwarder restarts meanwhile', async () => {
    const rcv = await receiver();
    await rcv.stop(); // collector down before we start: connection refused
    const dataDir = tempDir();
    const cfg = config(dataDir, { endpoint: rcv.url, buffer: { type: 'disk', maxBytes: '64MiB' }, batch: { maxEvents: 50, maxBytes: '256KiB', maxWait: '10ms' } }, { count: 250, batchSize: 50 });
    const p1 = await start(cfg);
    // The disk buffer accepted (fsynced) everything, so the source checkpoint moved on.
    await eventually(() => checkpointNext(dataDir) === 250, 'checkpoint at 250');
    expect(rcv.acceptedCount).toBe(0);
    expect(await metric(p1, 'zsf_sink_errors_total', { sink: 'otlp' })).toBeGreaterThan(0);
    await p1.stop();

    const p2 = await start(cfg);
    await rcv.start(); // back on the same port
    await rcv.waitFor(() => new Set(ids(rcv)).size === 250, 15_000, 'all 250 ids');
    expect(sorted([...new Set(ids(rcv))])).toEqual(range(250));
    await eventually(() => p2.components.get('otlp')?.state === 'running', 'sink running');
    await p2.stop();
    expect(readDeadLetters(dataDir)).toEqual([]);
  });
});

// splunk_hec through the whole pipeline (generator source -> sink runner -> driver -> HEC
// receiver): batching by bytes, 413 split, Retry-After, an outage with a disk buffer, and a
// 401/403 that stops sending and keeps the data.

import { describe, expect, it } from 'vitest';
import { checkpointNext } from '../support/checkpoints.js';
import { eventually } from '../support/eventually.js';
import { metric } from '../support/metric.js';
import { readDeadLetters } from '../support/probe.js';
import { closeAfterEach, generatorToSink, range, startSinkPipeline } from '../support/sink-pipeline.js';
import { tempDir } from '../support/temp-dir.js';
import { startHecReceiver, type HecReceiver } from '../receivers/hec.js';

const TOKEN = 'pipeline-hec-token-42';

const cleanup = closeAfterEach();

async function receiver(opts: Parameters<typeof startHecReceiver>[0] = {}): Promise<HecReceiver> {
  const r = await startHecReceiver({ tokens: [TOKEN], ...opts });
  cleanup(() => r.close());
  return r;
}

const config = (dataDir: string, sink: Record<string, unknown>, gen: Record<string, unknown> = {}) =>
  generatorToSink(dataDir, { id: 'splunk', type: 'splunk_hec', inputs: ['gen'], token: TOKEN, ...sink }, { gen: { seed: 11, ...gen } });

const start = (cfg: unknown, opts: { once?: boolean; sleeps?: number[] } = {}) => startSinkPipeline(cfg, cleanup, opts);

const ids = (r: HecReceiver) => r.indexed.map((e) => (e.event as { id: number }).id);

describe('splunk_hec in the pipeline', () => {
  it('batches by encoded bytes, gzips, delivers every event exactly once and commits', async () => {
    const rcv = await receiver();
    const dataDir = tempDir();
    const maxBytes = 16 * 1024;
    const p = await start(config(dataDir, { endpoint: rcv.url, batch: { maxEvents: 1000, maxBytes, maxWait: '20ms' } }, { count: 400, batchSize: 100 }), { once: true });
    expect(await p.done).toEqual({ ok: true, failures: [] });

    expect(ids(rcv).sort((a, b) => a - b)).toEqual(range(400));
    const byRequest = new Map<number, number>();
    for (const e of rcv.indexed) byRequest.set(e.request, (byRequest.get(e.request) ?? 0) + Buffer.byteLength(JSON.stringify(e.event)));
    const total = [...byRequest.values()].reduce((a, b) => a + b, 0);
    expect(Math.max(...byRequest.values())).toBeLessThanOrEqual(maxBytes);
    expect(byRequest.size).toBeGreaterThanOrEqual(Math.ceil(total / maxBytes));
    expect(rcv.dataRequests.every((r) => r.headers['content-encoding'] === 'gzip' && r.wireBytes < r.decodedBytes)).toBe(true);
    expect(checkpointNext(dataDir)).toBe(400);
    expect(await metric(p, 'zsf_sink_events_sent_total')).toBe(400);
    expect(await metric(p, 'zsf_sink_bytes_sent_total')).toBe(rcv.dataRequests.reduce((s, r) => s + r.wireBytes, 0));
    expect(await metric(p, 'zsf_sink_bytes_uncompressed_total')).toBe(rcv.dataRequests.reduce((s, r) => s + r.decodedBytes, 0));
  });

  it('on 413 halves the batch down to single events and dead-letters only the ones still too large', async () => {
    const limit = 1000;
    const rcv = await receiver({ maxContentLength: limit });
    const dataDir = tempDir();
    const p = await start(config(dataDir, { endpoint: rcv.url, compression: { type: 'none' }, batch: { maxEvents: 60, maxBytes: '1MiB', maxWait: '50ms' } }, { count: 60, batchSize: 60 }), { once: true });
    expect((await p.done).ok).toBe(true);

    const delivered = ids(rcv);
    const dead = readDeadLetters(dataDir).map((d) => (d.payload as { body: { id: number } }).body.id);
    expect(rcv.dataRequests[0]!.status).toBe(413);
    expect(dead.length).toBeGreaterThan(0);
    expect(delivered.length).toBeGreaterThan(0);
    expect([...delivered, ...dead].sort((a, b) => a - b)).toEqual(range(60));
    expect(readDeadLetters(dataDir).every((d) => d.reason === 'too_large' && /HEC HTTP 413/.test(d.detail ?? ''))).toBe(true);
    expect(rcv.dataRequests.filter((r) => r.status === 200).every((r) => r.wireBytes <= limit)).toBe(true);
    expect(rcv.requests.filter((r) => r.status === 413 && r.eventCount === 0).length).toBeGreaterThanOrEqual(dead.length);
  });

  it('honours Retry-After on 503 "Server is busy"', async () => {
    const rcv = await receiver();
    rcv.failNext(2, { status: 503, body: '{"text":"Server is busy","code":9}', headers: { 'retry-after': '3' } });
    const sleeps: number[] = [];
    const dataDir = tempDir();
    const p = await start(config(dataDir, { endpoint: rcv.url }, { count: 50, batchSize: 50 }), { once: true, sleeps });
    expect((await p.done).ok).toBe(true);
    expect(ids(rcv).sort((a, b) => a - b)).toEqual(range(50));
    expect(rcv.dataRequests.slice(0, 3).map((r) => r.status)).toEqual([503, 503, 200]);
    // Without Retry-After the waits would be at most maxBackoff (5 ms).
    expect(sleeps.filter((ms) => ms === 3000)).toHaveLength(2);
    expect(sleeps.filter((ms) => ms > 5 && ms !== 3000 && ms < 4000)).toEqual([]);
    expect(await metric(p, 'zsf_sink_retries_total')).toBe(2);
  });

  it('loses nothing across a destination outage with a disk buffer, even when the forwarder restarts meanwhile', async () => {
    const rcv = await receiver();
    await rcv.stop(); // HEC down before we start: connection refused
    const dataDir = tempDir();
    const cfg = config(dataDir, { endpoint: rcv.url, buffer: { type: 'disk', maxBytes: '64MiB' }, batch: { maxEvents: 100, maxBytes: '256KiB', maxWait: '10ms' } }, { count: 300, batchSize: 50 });
    const p1 = await start(cfg);
    // The disk buffer accepted (fsynced) everything, so the source checkpoint moved on.
    await eventually(() => checkpointNext(dataDir) === 300, 'checkpoint at 300');
    expect(rcv.indexed).toHaveLength(0);
    expect(await metric(p1, 'zsf_sink_errors_total')).toBeGreaterThan(0);
    await p1.stop();

    const p2 = await start(cfg);
    await rcv.start(); // HEC back on the same port
    await rcv.waitForIndexed(300, 15_000);
    expect(new Set(ids(rcv))).toEqual(new Set(range(300)));
    await eventually(() => p2.components.get('splunk')?.state === 'running', 'sink running');
    await p2.stop();
    expect(readDeadLetters(dataDir)).toEqual([]);
  });

  it('recovers from an outage in the middle of a run with no loss', async () => {
    const rcv = await receiver();
    const dataDir = tempDir();
    const cfg = config(dataDir, { endpoint: rcv.url, buffer: { type: 'disk', maxBytes: '64MiB' }, batch: { maxEvents: 20, maxBytes: '256KiB', maxWait: '5ms' } }, { count: 400, batchSize: 20 });
    rcv.once('change', () => void rcv.stop()); // the HEC goes away right after the first request
    const p = await start(cfg);
    await eventually(() => checkpointNext(dataDir) === 400, 'checkpoint at 400');
    const before = rcv.indexed.length;
    expect(before).toBeLessThan(400);
    await rcv.start();
    await rcv.waitFor(() => new Set(ids(rcv)).size === 400, 15_000, 'all 400 ids');
    await p.stop();
    expect(readDeadLetters(dataDir)).toEqual([]);
  });

  it('on 401/403 stops sending, reports unhealthy, keeps the data, and resumes when the token works', async () => {
    const rcv = await receiver({ tokens: ['the-right-token-is-elsewhere'] });
    const dataDir = tempDir();
    const p = await start(config(dataDir, { endpoint: rcv.url }, { count: 200, batchSize: 50 }));
    await eventually(() => p.components.get('splunk')?.state === 'unhealthy', 'sink unhealthy');
    await rcv.waitFor(() => rcv.requests.filter((r) => r.status === 403).length >= 3, 10_000, 'three 403s');
    const state = p.components.get('splunk')!;
    expect(state.reason).toMatch(/Invalid token/);
    expect(state.reason).not.toContain(TOKEN);
    expect(rcv.indexed).toHaveLength(0);
    expect(readDeadLetters(dataDir)).toEqual([]); // auth failures are never dead-lettered
    expect(checkpointNext(dataDir)).toBeUndefined(); // memory buffer: nothing accepted, nothing committed
    expect(await metric(p, 'zsf_buffer_events')).toBe(200);

    rcv.tokens.add(TOKEN);
    await rcv.waitForIndexed(200);
    expect(ids(rcv).sort((a, b) => a - b)).toEqual(range(200));
    await eventually(() => p.components.get('splunk')?.state === 'running', 'sink running again');
    await eventually(() => checkpointNext(dataDir) === 200, 'checkpoint at 200');
  });
});

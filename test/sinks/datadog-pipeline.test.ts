// datadog_logs through the whole pipeline (generator -> sink runner -> official client on
// undici -> Datadog receiver): batching by bytes, 413 split, Retry-After, an outage with a
// disk buffer, and a 403 that stops sending and keeps the data.

import { beforeAll, describe, expect, it } from 'vitest';
import { loadDatadogClient } from '../../src/sinks/datadog/driver.js';
import { checkpointNext } from '../support/checkpoints.js';
import { eventually } from '../support/eventually.js';
import { metric } from '../support/metric.js';
import { readDeadLetters } from '../support/probe.js';
import { closeAfterEach, generatorToSink, range, startSinkPipeline } from '../support/sink-pipeline.js';
import { tempDir } from '../support/temp-dir.js';
import { startDatadogReceiver, type DatadogReceiver } from '../receivers/datadog.js';

const KEY = 'pipeline-dd-key-7c1e9';

beforeAll(async () => {
  await loadDatadogClient();
}, 60_000);

const cleanup = closeAfterEach();

async function receiver(opts: Parameters<typeof startDatadogReceiver>[0] = {}): Promise<DatadogReceiver> {
  const r = await startDatadogReceiver({ apiKeys: [KEY], ...opts });
  cleanup(() => r.close());
  return r;
}

const config = (dataDir: string, sink: Record<string, unknown>, gen: Record<string, unknown> = {}) =>
  generatorToSink(dataDir, { id: 'dd', type: 'datadog_logs', inputs: ['gen'], apiKey: KEY, ...sink }, { gen: { seed: 13, startTime: new Date(Date.now() - 3600_000).toISOString(), ...gen } });

const start = (cfg: unknown, opts: { once?: boolean; sleeps?: number[] } = {}) => startSinkPipeline(cfg, cleanup, opts);

const ids = (r: DatadogReceiver) => r.logs.map((l) => (l.event as { id: number }).id);

describe('datadog_logs in the pipeline', () => {
  it('batches by encoded bytes, gzips, delivers every event exactly once and commits', async () => {
    const rcv = await receiver();
    const dataDir = tempDir();
    const maxBytes = 20_000;
    const p = await start(config(dataDir, { batch: { maxEvents: 1000, maxBytes, maxWait: '20ms' }, endpoint: rcv.url }, { count: 300, batchSize: 100 }), { once: true });
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expect(ids(rcv).sort((a, b) => a - b)).toEqual(range(300));
    const perRequest = new Map<number, number>();
    for (const l of rcv.logs) perRequest.set(l.request, (perRequest.get(l.request) ?? 0) + Buffer.byteLength(l.log.message as string));
    expect(Math.max(...perRequest.values())).toBeLessThanOrEqual(maxBytes);
    const total = [...perRequest.values()].reduce((a, b) => a + b, 0);
    expect(perRequest.size).toBeGreaterThanOrEqual(Math.ceil(total / maxBytes));
    expect(rcv.intakeRequests.every((r) => r.headers['content-encoding'] === 'gzip' && r.wireBytes < r.decodedBytes)).toBe(true);
    expect(checkpointNext(dataDir)).toBe(300);
    expect(await metric(p, 'zsf_sink_events_sent_total')).toBe(300);
  });

  it('on 413 halves the batch and delivers everything', async () => {
    const rcv = await receiver({ maxPayloadBytes: 12_000 });
    const dataDir = tempDir();
    const p = await start(config(dataDir, { endpoint: rcv.url, batch: { maxEvents: 100, maxBytes: '1MiB', maxWait: '50ms' } }, { count: 100, batchSize: 100 }), { once: true });
    expect((await p.done).ok).toBe(true);
    expect(ids(rcv).sort((a, b) => a - b)).toEqual(range(100));
    expect(rcv.intakeRequests[0]!.status).toBe(413);
    expect(rcv.intakeRequests.filter((r) => r.status === 202).every((r) => r.decodedBytes <= 12_000)).toBe(true);
    expect(readDeadLetters(dataDir)).toEqual([]);
  });

  it('a single log the intake still refuses with 413 is dead-lettered with the reason, the rest delivered', async () => {
    const rcv = await receiver({ maxPayloadBytes: 1100 });
    const dataDir = tempDir();
    const p = await start(config(dataDir, { endpoint: rcv.url, batch: { maxEvents: 40, maxBytes: '1MiB', maxWait: '50ms' } }, { count: 40, batchSize: 40 }), { once: true });
    expect((await p.done).ok).toBe(true);
    const dead = readDeadLetters(dataDir);
    const deadIds = dead.map((d) => (d.payload as { body: { id: number } }).body.id);
    expect(dead.length).toBeGreaterThan(0);
    expect(ids(rcv).length).toBeGreaterThan(0);
    expect([...ids(rcv), ...deadIds].sort((a, b) => a - b)).toEqual(range(40));
    expect(dead.every((d) => d.reason === 'too_large' && /Datadog HTTP 413/.test(d.detail ?? ''))).toBe(true);
  });

  it('honours Retry-After on 429', async () => {
    const rcv = await receiver();
    rcv.failNext(2, { status: 429, body: '{"errors":[{"status":"429","title":"Too Many Requests"}]}', headers: { 'retry-after': '4' } });
    const sleeps: number[] = [];
    const p = await start(config(tempDir(), { endpoint: rcv.url }, { count: 30, batchSize: 30 }), { once: true, sleeps });
    expect((await p.done).ok).toBe(true);
    expect(ids(rcv).sort((a, b) => a - b)).toEqual(range(30));
    expect(rcv.intakeRequests.slice(0, 3).map((r) => r.status)).toEqual([429, 429, 202]);
    expect(sleeps.filter((ms) => ms === 4000)).toHaveLength(2);
    expect(await metric(p, 'zsf_sink_retries_total')).toBe(2);
  });

  it('loses nothing across a destination outage with a disk buffer and a forwarder restart', async () => {
    const rcv = await receiver();
    await rcv.stop();
    const dataDir = tempDir();
    const cfg = config(dataDir, { endpoint: rcv.url, buffer: { type: 'disk', maxBytes: '64MiB' }, batch: { maxEvents: 100, maxBytes: '256KiB', maxWait: '10ms' } }, { count: 250, batchSize: 50 });
    const p1 = await start(cfg);
    await eventually(() => checkpointNext(dataDir) === 250, 'checkpoint at 250');
    expect(rcv.logs).toHaveLength(0);
    await p1.stop();
    const p2 = await start(cfg);
    await rcv.start();
    await rcv.waitFor(() => new Set(ids(rcv)).size === 250, 15_000, 'all 250 ids');
    await eventually(() => p2.components.get('dd')?.state === 'running', 'sink running');
    await p2.stop();
    expect(readDeadLetters(dataDir)).toEqual([]);
  });

  it('on 403 stops sending, reports unhealthy, keeps the data, and resumes when the key works', async () => {
    const rcv = await receiver({ apiKeys: ['revoked'] });
    const dataDir = tempDir();
    const p = await start(config(dataDir, { endpoint: rcv.url }, { count: 120, batchSize: 40 }));
    await eventually(() => p.components.get('dd')?.state === 'unhealthy', 'sink unhealthy');
    await rcv.waitFor(() => rcv.intakeRequests.filter((r) => r.status === 403).length >= 3, 10_000, 'three 403s');
    const state = p.components.get('dd')!;
    expect(state.reason).toMatch(/API key is invalid/);
    expect(state.reason).not.toContain(KEY);
    expect(rcv.logs).toHaveLength(0);
    expect(readDeadLetters(dataDir)).toEqual([]);
    expect(checkpointNext(dataDir)).toBeUndefined();
    rcv.apiKeys.add(KEY);
    await rcv.waitForLogs(120);
    expect(ids(rcv).sort((a, b) => a - b)).toEqual(range(120));
    await eventually(() => p.components.get('dd')?.state === 'running', 'sink running again');
    await eventually(() => checkpointNext(dataDir) === 120, 'checkpoint at 120');
  });
});

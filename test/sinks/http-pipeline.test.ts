// The `http` sink through the whole pipeline (generator sources -> sink runner -> driver ->
// NDJSON receiver): every event delivered in order per stream and committed; a 413 splits;
// a 401 makes the sink unhealthy until the credentials work; a 503's Retry-After is honoured.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPipeline, type Pipeline } from '../../src/app/start.js';
import { sleep as realSleep } from '../../src/core/retry.js';
import { captureLogs, readDeadLetters, tempDir } from '../support/probe.js';
import { startNdjsonReceiver, type NdjsonReceiver } from '../receivers/http-ndjson.js';

const TOKEN = 'http-pipeline-token-93d1';
const fastRetry = { initialBackoff: '1ms', maxBackoff: '5ms', authBackoff: '5ms' };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(opts: Parameters<typeof startNdjsonReceiver>[0] = {}): Promise<NdjsonReceiver> {
  const r = await startNdjsonReceiver(opts);
  cleanups.push(() => r.close());
  return r;
}

function gen(id: string, account: string, stream: string, count: number, batchSize = 50) {
  return { id, type: 'generator', account, stream, count, batchSize, seed: 3 };
}

function config(dataDir: string, sink: Record<string, unknown>, sources = [gen('gen', 'acme', 'audit_log', 200)]) {
  return {
    dataDir,
    shutdownTimeout: '5s',
    sources,
    sinks: [{ id: 'out', type: 'http', inputs: sources.map((s) => s.id), retry: fastRetry, healthcheck: { enabled: false }, ...sink }],
  };
}

/** Pipeline sleeps are recorded and capped, so backoffs (and Retry-After) are observable without waiting them out. */
function fastSleep(record: number[] = []) {
  return (ms: number, signal?: AbortSignal) => {
    record.push(ms);
    return realSleep(Math.min(ms, 10), signal);
  };
}

async function start(cfg: unknown, opts: { once?: boolean; sleeps?: number[] } = {}): Promise<Pipeline> {
  const logs = captureLogs();
  const p = await startPipeline(cfg, { once: opts.once ?? false, api: false, logDestination: logs.stream, sleep: fastSleep(opts.sleeps) });
  cleanups.push(() => p.stop());
  return p;
}

/** Condition wait on pipeline state: bounded, checked every 10 ms. */
async function eventually(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function checkpointNext(dataDir: string, source = 'gen'): number | undefined {
  const f = join(dataDir, 'checkpoints', `${source}.json`);
  if (!existsSync(f)) return undefined;
  return (JSON.parse(readFileSync(f, 'utf8')) as { state: { next: number } }).state.next;
}

type Line = { id: number; url: string };
const ids = (lines: unknown[], account?: string) => (lines as Line[]).filter((l) => !account || l.url.includes(`//${account}.`)).map((l) => l.id);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function metric(p: Pipeline, name: string): Promise<number> {
  const m = (await p.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((s, v) => s + Number(v.value), 0);
}

describe('http sink in the pipeline', () => {
  it('delivers every event of every stream, in order per stream, gzipped, and commits', async () => {
    const rcv = await receiver();
    const dataDir = tempDir();
    const sources = [gen('audit', 'acme', 'audit_log', 300), gen('access', 'beta', 'access_log', 200, 40)];
    const p = await start(config(dataDir, { uri: rcv.url, concurrency: 1, batch: { maxEvents: 70, maxBytes: '1MiB', maxWait: '10ms' } }, sources), { once: true });
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expect(ids(rcv.accepted, 'acme')).toEqual(range(300));
    expect(ids(rcv.accepted, 'beta')).toEqual(range(200));
    expect(rcv.requests.every((r) => r.headers['content-encoding'] === 'gzip' && r.lines.length <= 70)).toBe(true);
    expect([checkpointNext(dataDir, 'audit'), checkpointNext(dataDir, 'access')]).toEqual([300, 200]);
    expect(await metric(p, 'zsf_sink_events_sent_total')).toBe(500);
    expect(await metric(p, 'zsf_sink_bytes_sent_total')).toBe(rcv.requests.reduce((s, r) => s + r.wireBytes, 0));
  });

  it('on 413 halves the batch down to single events and dead-letters only the ones still too large', async () => {
    const limit = 900; // these generator records are 630-1065 bytes as lines: no two fit together, about a third do not fit alone
    const rcv = await receiver({ maxBodyBytes: limit });
    const dataDir = tempDir();
    const p = await start(config(dataDir, { uri: rcv.url, batch: { maxEvents: 40, maxBytes: '1MiB', maxWait: '20ms' } }, [gen('gen', 'acme', 'audit_log', 40, 40)]), { once: true });
    expect((await p.done).ok).toBe(true);
    const dead = readDeadLetters(dataDir);
    const deadIds = dead.map((d) => (d.payload as { body: { id: number } }).body.id);
    expect(rcv.requests[0]!.status).toBe(413);
    expect(ids(rcv.accepted).length).toBeGreaterThan(0);
    expect(dead.length).toBeGreaterThan(0);
    // Exactly the events whose own line is above the limit were dead-lettered.
    expect(dead.every((d) => Buffer.byteLength(JSON.stringify((d.payload as { body: unknown }).body)) + 1 > limit)).toBe(true);
    expect((rcv.accepted as unknown[]).every((l) => Buffer.byteLength(JSON.stringify(l)) + 1 <= limit)).toBe(true);
    expect(rcv.requests.filter((r) => r.status === 200).every((r) => r.decodedBytes <= limit)).toBe(true);
    expect([...ids(rcv.accepted), ...deadIds].sort((a, b) => a - b)).toEqual(range(40));
    expect(dead.every((d) => d.reason === 'too_large' && /HTTP 413: body too large/.test(d.detail ?? ''))).toBe(true);
  });

  it('honours Retry-After on 503', async () => {
    const rcv = await receiver();
    rcv.failNext(2, { status: 503, headers: { 'retry-after': '3' }, body: 'busy' });
    const sleeps: number[] = [];
    const dataDir = tempDir();
    const p = await start(config(dataDir, { uri: rcv.url }, [gen('gen', 'acme', 'audit_log', 50, 50)]), { once: true, sleeps });
    expect((await p.done).ok).toBe(true);
    expect(ids(rcv.accepted).sort((a, b) => a - b)).toEqual(range(50));
    expect(rcv.requests.slice(0, 3).map((r) => r.status)).toEqual([503, 503, 200]);
    // Without Retry-After the waits would be at most maxBackoff (5 ms).
    expect(sleeps.filter((ms) => ms === 3000)).toHaveLength(2);
    expect(await metric(p, 'zsf_sink_retries_total')).toBe(2);
  });

  it('on 401 stops sending, reports unhealthy, keeps the data, and resumes when the credentials work', async () => {
    const rcv = await receiver({ authorization: 'Bearer the-right-token-is-elsewhere' });
    const dataDir = tempDir();
    const p = await start(config(dataDir, { uri: rcv.url, auth: { type: 'bearer', token: TOKEN } }, [gen('gen', 'acme', 'audit_log', 200, 50)]));
    await eventually(() => p.components.get('out')?.state === 'unhealthy', 'sink unhealthy');
    await rcv.waitFor(() => rcv.requests.filter((r) => r.status === 401).length >= 3, 10_000, 'three 401s');
    const state = p.components.get('out')!;
    expect(state.reason).toMatch(/HTTP 401/);
    expect(state.reason).not.toContain(TOKEN);
    expect(rcv.accepted).toHaveLength(0);
    expect(readDeadLetters(dataDir)).toEqual([]);
    expect(checkpointNext(dataDir)).toBeUndefined();

    rcv.authorization = `Bearer ${TOKEN}`;
    await rcv.waitFor(() => rcv.accepted.length === 200, 15_000, 'all 200 events');
    expect(ids(rcv.accepted).sort((a, b) => a - b)).toEqual(range(200));
    await eventually(() => p.components.get('out')?.state === 'running', 'sink running again');
    await eventually(() => checkpointNext(dataDir) === 200, 'checkpoint at 200');
  });
});

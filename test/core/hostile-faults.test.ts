// Faults around the pipeline core: dead letters that cannot be written, sources that fail,
// destinations that hang, push back with Retry-After or stay down, and the files left on disk.

import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startPipeline, type Pipeline } from '../../src/app/start.js';
import { defineSink, defineSource } from '../../src/core/plugin.js';
import { generateRecord } from '../../src/sources/generator.js';
import { sourcePlugins } from '../../src/sources/index.js';
import { sinkPlugins } from '../../src/sinks/index.js';
import { checkpointNext } from '../support/checkpoints.js';
import { eventually } from '../support/eventually.js';
import { captureLogs, probe, readDeadLetters, tempDir } from '../support/probe.js';

const base = (dataDir: string, extra: Record<string, unknown> = {}) => ({ dataDir, log: { level: 'info' }, api: { listen: '127.0.0.1:0' }, shutdownTimeout: '5s', ...extra });
const gen = (count: number, batchSize = 10) => ({ id: 'gen', type: 'generator', count, batchSize });
const fast = { retry: { initialBackoff: '1ms', maxBackoff: '5ms', authBackoff: '1ms' } };

const running: Pipeline[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
});

// ---------------------------------------------------------------- dead letters that cannot be written

describe('unwritable dead letters stop the component', () => {
  it('a transform whose dead letter cannot be written fails with the path and errno; the checkpoint does not pass the record; --once fails', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'dead-letter'), 'not a directory'); // where the directory should be
    const pr = probe('dl-transform');
    const logs = captureLogs();
    const p = await startPipeline(
      {
        ...base(dataDir, { api: { enabled: false } }),
        sources: [gen(100)],
        transforms: [{ id: 'map', type: 'probe_transform', inputs: ['gen'], failEvery: 35 }],
        sinks: [{ id: 's', type: 'probe', probe: 'dl-transform', inputs: ['map'] }],
      },
      { once: true, logDestination: logs.stream },
    );
    const r = await p.done;
    expect(r.ok).toBe(false);
    const failure = r.failures.find((f) => f.component === 'map');
    expect(failure?.reason).toMatch(/dead-letter.*(ENOTDIR|EEXIST)/);
    const logged = logs.lines.map((l) => JSON.parse(l) as { msg: string; path?: string; code?: string }).find((l) => l.msg.startsWith('cannot write dead letter'));
    expect(logged).toMatchObject({ path: expect.stringContaining(join(dataDir, 'dead-letter')), code: expect.stringMatching(/ENOTDIR|EEXIST/) });
    // Record 0 could not be dead-lettered: nothing from its batch on may be committed.
    expect(checkpointNext(dataDir)).toBeUndefined();
    expect(pr.accepted.some((e) => e.body.id === 0)).toBe(false);
  });

  it('a sink whose dead letter cannot be written fails, never acks that batch, and the source checkpoint stays before it', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'dead-letter'), '');
    probe('dl-sink', (events) => (events.some((e) => e.body.id === 30) ? { kind: 'permanent', reason: 'HTTP 400: bad event' } : { kind: 'ok' }));
    const p = await startPipeline(
      { ...base(dataDir, { api: { enabled: false } }), sources: [gen(100)], sinks: [{ id: 's', type: 'probe', probe: 'dl-sink', inputs: ['gen'], batch: { maxEvents: 10 } }] },
      { once: true, logDestination: captureLogs().stream },
    );
    const r = await p.done;
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([{ component: 's', reason: expect.stringMatching(/dead-letter.*(ENOTDIR|EEXIST)/) }]);
    const next = checkpointNext(dataDir);
    expect(next === undefined || next <= 30).toBe(true);
  });
});

// ---------------------------------------------------------------- file modes and stale temp files

describe('files under dataDir', () => {
  it('checkpoints, disk-buffer segments, ack positions and dead letters are 0600 in 0700 directories', async () => {
    const dataDir = tempDir();
    const prev = process.umask(0o022);
    try {
      probe('modes', (events) => (events.some((e) => e.body.id === 3) ? { kind: 'permanent', reason: 'no' } : { kind: 'ok' }));
      const p = await startPipeline(
        { ...base(dataDir, { api: { enabled: false } }), sources: [gen(20)], sinks: [{ id: 's', type: 'probe', probe: 'modes', inputs: ['gen'], buffer: { type: 'disk' } }] },
        { once: true, logDestination: captureLogs().stream },
      );
      expect((await p.done).ok).toBe(true);
    } finally {
      process.umask(prev);
    }
    const mode = (p: string) => statSync(p).mode & 0o777;
    for (const d of ['checkpoints', 'buffers', join('buffers', 's'), 'dead-letter']) expect([d, mode(join(dataDir, d))]).toEqual([d, 0o700]);
    const files = [
      join('checkpoints', 'gen.json'),
      join('buffers', 's', 'ack.json'),
      ...readdirSync(join(dataDir, 'buffers', 's')).filter((n) => n.startsWith('seg-')).map((n) => join('buffers', 's', n)),
      ...readdirSync(join(dataDir, 'dead-letter')).map((n) => join('dead-letter', n)),
    ];
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect([f, mode(join(dataDir, f))]).toEqual([f, 0o600]);
  });

  it('an existing world-readable dead-letter file and directory are tightened when written to', async () => {
    const dataDir = tempDir();
    const dir = join(dataDir, 'dead-letter');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const day = new Date().toISOString().slice(0, 10);
    writeFileSync(join(dir, `${day}.ndjson`), '');
    chmodSync(join(dir, `${day}.ndjson`), 0o644);
    probe('tighten', (events) => (events.some((e) => e.body.id === 1) ? { kind: 'permanent', reason: 'no' } : { kind: 'ok' }));
    const p = await startPipeline({ ...base(dataDir, { api: { enabled: false } }), sources: [gen(5)], sinks: [{ id: 's', type: 'probe', probe: 'tighten', inputs: ['gen'] }] }, { once: true, logDestination: captureLogs().stream });
    expect((await p.done).ok).toBe(true);
    expect(readDeadLetters(dataDir)).toHaveLength(5);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, `${day}.ndjson`)).mode & 0o777).toBe(0o600);
  });

  it('temporary checkpoint and ack files left by a killed process are removed at start; the committed checkpoint is used', async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'checkpoints'), { recursive: true });
    mkdirSync(join(dataDir, 'buffers', 's'), { recursive: true });
    writeFileSync(join(dataDir, 'checkpoints', 'gen.json'), JSON.stringify({ version: 1, source: 'gen', updatedAt: '2026-01-01T00:00:00Z', state: { next: 10 } }));
    const staleCheckpoint = join(dataDir, 'checkpoints', '.gen.json.999999.tmp');
    const staleAck = join(dataDir, 'buffers', 's', '.ack.json.999999.tmp');
    const stalePid1 = join(dataDir, 'checkpoints', `.other.json.${process.pid}.tmp`); // containers: every run is pid 1
    writeFileSync(staleCheckpoint, '{"version":1,"source":"gen","state":{"ne');
    writeFileSync(stalePid1, '{');
    writeFileSync(staleAck, '{"segm');
    const pr = probe('stale');
    const logs = captureLogs();
    const p = await startPipeline({ ...base(dataDir, { api: { enabled: false } }), sources: [gen(20)], sinks: [{ id: 's', type: 'probe', probe: 'stale', inputs: ['gen'], buffer: { type: 'disk' } }] }, { once: true, logDestination: logs.stream });
    expect((await p.done).ok).toBe(true);
    expect(existsSync(staleCheckpoint)).toBe(false);
    expect(existsSync(staleAck)).toBe(false);
    expect(existsSync(stalePid1)).toBe(false);
    expect(pr.accepted.map((e) => e.body.id)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(logs.lines.some((l) => l.includes('removed temporary checkpoint files') && l.includes('.gen.json.999999.tmp'))).toBe(true);
  });
});

// ---------------------------------------------------------------- failed sources restart

const flakyRuns = new Map<string, number>();
if (!sourcePlugins.some((p) => p.type === 'flaky_source')) {
  sourcePlugins.push(
    defineSource({
      type: 'flaky_source',
      description: 'test source that throws on its first `failRuns` runs, then emits 5 records',
      options: { name: z.string(), failRuns: z.number().int().min(0) },
      create(config) {
        return {
          async run(ctx) {
            const run = (flakyRuns.get(config.name) ?? 0) + 1;
            flakyRuns.set(config.name, run);
            if (run <= config.failRuns) throw new Error(`upstream exploded (run ${run})`);
            const records = Array.from({ length: 5 }, (_, n) => generateRecord(n, 'acme', 'audit_log', 0, 1));
            await ctx.emit({ records, checkpoint: { done: true } });
            if (!ctx.once) await new Promise<void>((r) => (ctx.signal.aborted ? r() : ctx.signal.addEventListener('abort', () => r(), { once: true })));
          },
        };
      },
    }),
  );
}

describe('failed sources restart with backoff', () => {
  it('restarts after jittered, doubling waits and then delivers', async () => {
    const pr = probe('restart');
    const logs = captureLogs();
    const p = await startPipeline(
      {
        ...base(tempDir(), { api: { enabled: false }, sourceRestart: { initialBackoff: '20ms', maxBackoff: '40ms' } }),
        sources: [{ id: 'src', type: 'flaky_source', name: 'restart', failRuns: 3 }],
        sinks: [{ id: 's', type: 'probe', probe: 'restart', inputs: ['src'] }],
      },
      { logDestination: logs.stream },
    );
    running.push(p);
    await eventually(() => pr.accepted.length === 5, 'delivery after restarts');
    expect(flakyRuns.get('restart')).toBe(4);
    const waits = logs.lines.map((l) => JSON.parse(l) as { msg: string; restartInMs?: number; reason?: string }).filter((l) => l.msg.startsWith('source failed; restarting'));
    expect(waits.map((w) => w.reason)).toEqual(['upstream exploded (run 1)', 'upstream exploded (run 2)', 'upstream exploded (run 3)']);
    const [a, b, c] = waits.map((w) => w.restartInMs!);
    expect(a).toBeGreaterThanOrEqual(10);
    expect(a).toBeLessThanOrEqual(20);
    expect(b).toBeGreaterThanOrEqual(20);
    expect(b).toBeLessThanOrEqual(40);
    expect(c).toBeGreaterThanOrEqual(20); // capped at maxBackoff
    expect(c).toBeLessThanOrEqual(40);
    expect(p.components.get('src')).toEqual({ kind: 'source', state: 'running' });
  });

  it('while waiting it stays failed with its reason and the restart time, and readyz fails', async () => {
    probe('restarting');
    const p = await startPipeline(
      {
        ...base(tempDir(), { sourceRestart: { initialBackoff: '1h', maxBackoff: '2h' } }),
        sources: [{ id: 'src', type: 'flaky_source', name: 'restarting', failRuns: 1 }],
        sinks: [{ id: 's', type: 'probe', probe: 'restarting', inputs: ['src'] }],
      },
      { logDestination: captureLogs().stream },
    );
    running.push(p);
    await eventually(() => p.components.get('src')?.restart !== undefined, 'restart scheduled');
    expect(p.components.get('src')).toMatchObject({ state: 'failed', reason: 'upstream exploded (run 1)', restart: { failures: 1 } });
    const ready = await request(`${p.apiUrl}/readyz`);
    expect(ready.statusCode).toBe(503);
    const body = (await ready.body.json()) as { components: Record<string, { state: string; reason?: string; restartAt?: string }> };
    expect(body.components.src).toEqual({ state: 'failed', reason: 'upstream exploded (run 1)', restartAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    // 1h initial backoff with equal jitter: between 30 and 60 minutes from now.
    const inMs = Date.parse(body.components.src!.restartAt!) - Date.now();
    expect(inMs).toBeGreaterThan(29 * 60_000);
    expect(inMs).toBeLessThanOrEqual(60 * 60_000);
  });

  it('--once does not restart: the run fails with the reason', async () => {
    const pr = probe('once-fail');
    const p = await startPipeline(
      { ...base(tempDir(), { api: { enabled: false }, sourceRestart: { initialBackoff: '1ms' } }), sources: [{ id: 'src', type: 'flaky_source', name: 'once-fail', failRuns: 1 }], sinks: [{ id: 's', type: 'probe', probe: 'once-fail', inputs: ['src'] }] },
      { once: true, logDestination: captureLogs().stream },
    );
    expect(await p.done).toEqual({ ok: false, failures: [{ component: 'src', reason: 'upstream exploded (run 1)' }] });
    expect(flakyRuns.get('once-fail')).toBe(1);
    expect(pr.accepted).toHaveLength(0);
  });
});

// ---------------------------------------------------------------- healthchecks and readiness

const healthchecksStarted: string[] = [];
if (!sinkPlugins.some((p) => p.type === 'hung_health')) {
  sinkPlugins.push(
    defineSink({
      type: 'hung_health',
      description: 'test sink whose healthcheck never answers',
      options: {},
      defaults: { maxEvents: 100, maxBytes: 1 << 20, maxWaitMs: 5, concurrency: 1 },
      create: (config) => ({
        healthcheck: (signal) =>
          new Promise<void>((_, reject) => {
            healthchecksStarted.push(config.id);
            signal.addEventListener('abort', () => reject(new Error('healthcheck aborted')), { once: true });
          }),
        send: async () => ({ kind: 'ok' }),
      }),
    }),
  );
}

describe('sink healthchecks and readiness', () => {
  it('hung healthchecks run concurrently in the background: start-up, /healthz and delivery do not wait for them', async () => {
    const p = await startPipeline(
      {
        ...base(tempDir()),
        sources: [gen(50)],
        sinks: [
          { id: 'h1', type: 'hung_health', inputs: ['gen'], requestTimeout: '10m' },
          { id: 'h2', type: 'hung_health', inputs: ['gen'], requestTimeout: '10m' },
        ],
      },
      { logDestination: captureLogs().stream },
    );
    running.push(p);
    const health = await request(`${p.apiUrl}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    await eventually(() => healthchecksStarted.includes('h1') && healthchecksStarted.includes('h2'), 'both healthchecks started');
    await eventually(() => (p.components.get('gen')?.state ?? '') === 'running' && p.metrics !== undefined, 'source running');
    await eventually(() => {
      const sent = (p.metrics.sinkEventsSent as unknown as { hashMap: Record<string, { value: number }> }).hashMap;
      return Object.values(sent).reduce((n, v) => n + v.value, 0) === 100;
    }, 'both sinks delivered while their healthchecks hang');
  });

  it('a sink whose every delivery failed for longer than unhealthyAfter fails readyz, and recovers on the next success (injected clock)', async () => {
    let clock = Date.parse('2026-03-01T00:00:00Z');
    let up = false;
    const pr = probe('outage', () => (up ? { kind: 'ok' } : { kind: 'retry', reason: 'connect ECONNREFUSED 127.0.0.1:9' }));
    const p = await startPipeline(
      { ...base(tempDir()), sources: [gen(10)], sinks: [{ id: 's', type: 'probe', probe: 'outage', inputs: ['gen'], unhealthyAfter: '30s', ...fast }] },
      { logDestination: captureLogs().stream, now: () => clock },
    );
    running.push(p);
    const readyz = async () => {
      const r = await request(`${p.apiUrl}/readyz`);
      return { status: r.statusCode, body: (await r.body.json()) as { components: Record<string, { state: string; reason?: string }> } };
    };
    await eventually(() => pr.calls.length >= 3, 'failed attempts');
    expect((await readyz()).status).toBe(200); // failing, but not for 30 s yet
    clock += 29_000;
    expect((await readyz()).status).toBe(200);
    clock += 2_000;
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.components.s).toEqual({ state: 'unhealthy', reason: expect.stringContaining('ECONNREFUSED') });
    up = true;
    await eventually(() => pr.accepted.length === 10, 'delivery after the outage');
    expect((await readyz()).status).toBe(200);
  });
});

// ---------------------------------------------------------------- Retry-After pauses the whole sink

describe('Retry-After pauses every worker of the sink', () => {
  it('HEC with concurrency 4: after a 429 with Retry-After: 1, no request of that sink arrives before 1 s has passed', async () => {
    const held: ServerResponse[] = [];
    let phase: 'collect' | 'after' = 'collect';
    let answered429At = 0;
    const arrivalsAfter: number[] = [];
    let fourHeld!: () => void;
    const gotFour = new Promise<void>((r) => (fourHeld = r));
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        if (phase === 'collect') {
          held.push(res);
          if (held.length === 4) fourHeld();
          return;
        }
        arrivalsAfter.push(Date.now());
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let sawRetry!: () => void;
    const retryLogged = new Promise<void>((r) => (sawRetry = r));
    const logs = new Writable({
      write(chunk, _enc, cb) {
        if (String(chunk).includes('sink delivery failed, retrying')) sawRetry();
        cb();
      },
    });
    try {
      const p = await startPipeline(
        {
          ...base(tempDir(), { api: { enabled: false } }),
          sources: [gen(12, 12)],
          sinks: [{ id: 'hec', type: 'splunk_hec', inputs: ['gen'], endpoint: url, token: 'test-token-123', concurrency: 4, batch: { maxEvents: 1, maxWait: '1ms' }, healthcheck: { enabled: false }, retry: { initialBackoff: '1ms', maxBackoff: '5ms' } }],
        },
        { once: true, logDestination: logs },
      );
      await gotFour;
      phase = 'after';
      answered429At = Date.now();
      held[0]!.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"text":"Server is busy","code":9}');
      await retryLogged; // the client has taken the 429 in: everything sent from now on must wait
      for (const res of held.slice(1)) res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      expect((await p.done).ok).toBe(true);
      expect(arrivalsAfter).toHaveLength(12 - 3);
      for (const t of arrivalsAfter) expect(t - answered429At).toBeGreaterThanOrEqual(1000);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { captureLogs, probe, readDeadLetters, tempDir } from '../support/probe.js';

const base = (dataDir: string, extra: Record<string, unknown> = {}) => ({ dataDir, log: { level: 'info' }, api: { listen: '127.0.0.1:0' }, shutdownTimeout: '5s', ...extra });
const gen = (count: number, batchSize = 50) => ({ id: 'gen', type: 'generator', count, batchSize });
const fast = { retry: { initialBackoff: '1ms', maxBackoff: '5ms', authBackoff: '1ms' } };

describe('pipeline', () => {
  it('fans out to every sink, dead-letters failed transforms and commits the checkpoint', async () => {
    const dataDir = tempDir();
    const a = probe('fan-a');
    const b = probe('fan-b');
    const logs = captureLogs();
    const p = await startPipeline(
      {
        ...base(dataDir),
        sources: [gen(500)],
        transforms: [{ id: 'map', type: 'probe_transform', inputs: ['gen'], failEvery: 100 }],
        sinks: [
          { id: 'a', type: 'probe', probe: 'fan-a', inputs: ['map'] },
          { id: 'b', type: 'probe', probe: 'fan-b', inputs: ['map', 'gen'], buffer: { type: 'disk' } },
        ],
      },
      { once: true, logDestination: logs.stream },
    );
    const r = await p.done;
    expect(r).toEqual({ ok: true, failures: [] });
    expect(a.accepted).toHaveLength(495);
    expect(a.accepted.every((e) => e.body.mapped === true)).toBe(true);
    expect(b.accepted).toHaveLength(995); // mapped + raw
    const dead = readDeadLetters(dataDir);
    expect(dead.map((d) => (d.payload as { body: { id: number } }).body.id).sort((x, y) => x - y)).toEqual([0, 100, 200, 300, 400]);
    expect(dead[0]).toMatchObject({ component: 'map', reason: 'transform_failed', detail: expect.stringContaining('missing field') });
    const cp = JSON.parse(readFileSync(join(dataDir, 'checkpoints', 'gen.json'), 'utf8'));
    expect(cp.state).toEqual({ next: 500 });
  });

  it('splits a batch on too_large down to one event and dead-letters only that one', async () => {
    const dataDir = tempDir();
    const p1 = probe('split', (events) => (events.some((e) => e.body.id === 7) && events.length > 1 ? { kind: 'too_large', reason: 'HTTP 413' } : events.length === 1 && events[0]!.body.id === 7 ? { kind: 'too_large', reason: 'HTTP 413: event too big' } : { kind: 'ok' }));
    const p = await startPipeline({ ...base(dataDir), sources: [gen(40, 40)], sinks: [{ id: 's', type: 'probe', probe: 'split', inputs: ['gen'], batch: { maxEvents: 40 } }] }, { once: true, logDestination: captureLogs().stream });
    expect((await p.done).ok).toBe(true);
    expect(p1.accepted.map((e) => e.body.id).sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 7));
    expect(p1.calls.map((c) => c.length)).toEqual([40, 20, 10, 5, 5, 3, 2, 1, 2, 10, 20]);
    expect(readDeadLetters(dataDir)).toEqual([expect.objectContaining({ component: 's', reason: 'too_large', detail: 'HTTP 413: event too big' })]);
  });

  it('dead-letters permanent and partial rejections with the destination reason and goes on', async () => {
    const dataDir = tempDir();
    probe('perm', (events, call) =>
      call === 1 ? { kind: 'permanent', reason: 'HTTP 400: invalid event' } : { kind: 'partial', rejected: [{ index: 0, reason: 'field too long' }] },
    );
    const p = await startPipeline({ ...base(dataDir), sources: [gen(20, 10)], sinks: [{ id: 's', type: 'probe', probe: 'perm', inputs: ['gen'], batch: { maxEvents: 10 } }] }, { once: true, logDestination: captureLogs().stream });
    expect((await p.done).ok).toBe(true);
    const dead = readDeadLetters(dataDir);
    expect(dead.filter((d) => d.detail === 'HTTP 400: invalid event')).toHaveLength(10);
    expect(dead.filter((d) => d.detail === 'field too long')).toHaveLength(1);
    expect(await p.metrics.registry.getSingleMetricAsString('zsf_sink_events_sent_total')).toContain('zsf_sink_events_sent_total{sink="s"} 9');
  });

  it('partial with resendRest: dead-letters the rejected event and sends the others again as a new attempt', async () => {
    const dataDir = tempDir();
    const pr = probe('resend', (events) =>
      events.some((e) => e.body.id === 3) ? { kind: 'partial', rejected: [{ index: events.findIndex((e) => e.body.id === 3), reason: 'bad event 3' }], resendRest: true } : { kind: 'ok' },
    );
    const p = await startPipeline({ ...base(dataDir), sources: [gen(10, 10)], sinks: [{ id: 's', type: 'probe', probe: 'resend', inputs: ['gen'], batch: { maxEvents: 10 } }] }, { once: true, logDestination: captureLogs().stream });
    expect((await p.done).ok).toBe(true);
    expect(pr.calls.map((c) => c.map((e) => e.body.id))).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 1, 2, 4, 5, 6, 7, 8, 9]]);
    expect(pr.accepted.map((e) => e.body.id)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(readDeadLetters(dataDir)).toEqual([expect.objectContaining({ component: 's', reason: 'rejected', detail: 'bad event 3' })]);
    expect(await p.metrics.registry.getSingleMetricAsString('zsf_sink_events_sent_total')).toContain('zsf_sink_events_sent_total{sink="s"} 9');
  });

  it('a driver that asks for a resend without rejecting anything fails the sink loudly instead of looping', async () => {
    probe('resend-bug', () => ({ kind: 'partial', rejected: [], resendRest: true }));
    const p = await startPipeline({ ...base(tempDir()), sources: [gen(5, 5)], sinks: [{ id: 's', type: 'probe', probe: 'resend-bug', inputs: ['gen'] }] }, { once: true, logDestination: captureLogs().stream });
    const r = await p.done;
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([{ component: 's', reason: expect.stringContaining('driver asked to resend without rejecting anything') }]);
  });

  it('on auth failure stops sending, fails readyz, keeps the data and resumes when credentials work again', async () => {
    const dataDir = tempDir();
    let allow = false;
    let authFailures = 0;
    let release!: () => void;
    const sawAuth = new Promise<void>((r) => (release = r));
    const pr = probe('auth', () => {
      if (allow) return { kind: 'ok' };
      authFailures++;
      if (authFailures === 3) release();
      return { kind: 'auth', reason: 'HTTP 401: invalid token' };
    });
    const logs = captureLogs();
    const p = await startPipeline({ ...base(dataDir), sources: [gen(30, 30)], sinks: [{ id: 's', type: 'probe', probe: 'auth', inputs: ['gen'], ...fast, buffer: { type: 'disk' } }] }, { logDestination: logs.stream });
    await sawAuth;
    const ready = await request(`${p.apiUrl}/readyz`);
    expect(ready.statusCode).toBe(503);
    const body = (await ready.body.json()) as { components: Record<string, { state: string; reason: string }> };
    expect(body.components.s).toEqual({ state: 'unhealthy', reason: expect.stringContaining('HTTP 401') });
    expect(pr.accepted).toHaveLength(0);
    expect(readDeadLetters(dataDir)).toEqual([]);
    allow = true;
    await p.stop();
    // Restart with working credentials: the disk buffer still has every event.
    const p2 = await startPipeline({ ...base(dataDir), sources: [gen(30, 30)], sinks: [{ id: 's', type: 'probe', probe: 'auth', inputs: ['gen'], ...fast, buffer: { type: 'disk' } }] }, { once: true, logDestination: captureLogs().stream });
    expect((await p2.done).ok).toBe(true);
    expect(new Set(pr.accepted.map((e) => e.body.id)).size).toBe(30);
    expect(logs.lines.some((l) => l.includes('sink authentication failed'))).toBe(true);
  });

  it('a source with a corrupt checkpoint fails alone; the others keep running and readyz says why', async () => {
    const dataDir = tempDir();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dataDir, 'checkpoints'), { recursive: true });
    writeFileSync(join(dataDir, 'checkpoints', 'bad.json'), '{oops');
    const pr = probe('iso');
    const p = await startPipeline(
      { ...base(dataDir), sources: [gen(10, 10), { id: 'bad', type: 'generator', count: 10 }], sinks: [{ id: 's', type: 'probe', probe: 'iso', inputs: ['gen', 'bad'] }] },
      { once: true, logDestination: captureLogs().stream },
    );
    const r = await p.done;
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([{ component: 'bad', reason: expect.stringContaining('zsf checkpoints reset bad') }]);
    expect(pr.accepted).toHaveLength(10);
  });
});

describe('sink health', () => {
  it('a failed start-up healthcheck is cleared by the first successful delivery', async () => {
    const { defineSink } = await import('../../src/core/plugin.js');
    const { sinkPlugins } = await import('../../src/sinks/index.js');
    let delivered = 0;
    if (!sinkPlugins.some((p) => p.type === 'flaky_health')) {
      sinkPlugins.push(
        defineSink({
          type: 'flaky_health',
          description: 'test',
          options: {},
          defaults: { maxEvents: 100, maxBytes: 1 << 20, maxWaitMs: 5, concurrency: 1 },
          create: () => ({
            healthcheck: async () => {
              throw new Error('HTTP 503 at start');
            },
            send: async (events) => {
              delivered += events.length;
              return { kind: 'ok' };
            },
          }),
        }),
      );
    }
    const p = await startPipeline({ ...base(tempDir()), sources: [gen(100)], sinks: [{ id: 's', type: 'flaky_health', inputs: ['gen'] }] }, { once: true, logDestination: captureLogs().stream });
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expect(delivered).toBe(100);
    expect(p.components.get('s')?.state).toBe('running');
  });
});

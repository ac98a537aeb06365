// The S3 sink inside the real pipeline: generator source -> buffer -> s3 sink -> s3rver.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { DEMO_CREDENTIALS, startSimulator } from '../../src/simulator/index.js';
import { metric } from '../support/metric.js';
import { captureLogs, readDeadLetters, tempDir } from '../support/probe.js';
import { startS3Server, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, type S3TestServer } from '../support/s3-server.js';

let s3: S3TestServer;
beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = TEST_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_SECRET_ACCESS_KEY;
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3.close();
});

const sink = (prefix: string, extra: Record<string, unknown> = {}) => ({
  id: 'archive',
  type: 's3',
  inputs: ['gen'],
  bucket: s3.bucket,
  region: s3.region,
  endpoint: s3.endpoint,
  forcePathStyle: true,
  prefix,
  sdkMaxAttempts: 1,
  retry: { initialBackoff: '5ms', maxBackoff: '40ms' },
  ...extra,
});
const base = (dataDir: string) => ({ dataDir, log: { level: 'info' }, shutdownTimeout: '20s' });

/** Every event body stored under `prefix`, object by object. */
async function stored(prefix: string): Promise<{ key: string; bodies: { id: number; [k: string]: unknown }[] }[]> {
  const keys = await s3.listKeys(prefix + '/');
  return Promise.all(
    keys.map(async (key) => ({
      key,
      bodies: gunzipSync((await s3.getObject(key)).body).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { id: number }),
    })),
  );
}

const archiveMetric = (p: Awaited<ReturnType<typeof startPipeline>>, name: string) => metric(p, name, { sink: 'archive' });

describe('s3 sink in the pipeline', () => {
  it('S3 outage: events wait in the disk buffer, the checkpoint advances, and after recovery none is lost', async () => {
    const dataDir = tempDir();
    const logs = captureLogs();
    await s3.stopBackend();
    // The default concurrency (2 workers reading one disk buffer) is part of what is tested.
    const p = await startPipeline(
      {
        ...base(dataDir),
        sources: [{ id: 'gen', type: 'generator', count: 2000, batchSize: 100 }],
        sinks: [sink('outage', { buffer: { type: 'disk', maxBytes: '64MiB' }, batch: { maxEvents: 250, maxWait: '20ms' }, healthcheck: { enabled: false } })],
      },
      { once: true, api: false, logDestination: logs.stream },
    );
    try {
      // While S3 is down: deliveries fail and are retried, and the disk buffer accepts everything,
      // so the source's checkpoint reaches the end (DESIGN §3: accepted = fsynced in the disk buffer).
      await vi.waitFor(async () => expect(await archiveMetric(p, 'zsf_sink_retries_total')).toBeGreaterThanOrEqual(3), { timeout: 15_000, interval: 20 });
      await vi.waitFor(() => expect(JSON.parse(readFileSync(join(dataDir, 'checkpoints', 'gen.json'), 'utf8')).state).toEqual({ next: 2000 }), { timeout: 15_000, interval: 20 });
    } finally {
      await s3.startBackend();
    }
    const result = await p.done;
    expect(result).toEqual({ ok: true, failures: [] });
    const objects = await stored('outage');
    const ids = objects.flatMap((o) => o.bodies.map((b) => b.id));
    expect([...new Set(ids)].sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i)); // 0 lost
    expect(ids.length - new Set(ids).size).toBeLessThanOrEqual(2 * 250); // duplicates bounded by what was in flight
    expect(readDeadLetters(dataDir)).toEqual([]);
    expect(await archiveMetric(p, 'zsf_sink_events_sent_total')).toBe(ids.length);
    expect(logs.lines.join('\n')).not.toContain(TEST_SECRET_ACCESS_KEY);
  });

  it('rolls objects by max events', async () => {
    const dataDir = tempDir();
    const p = await startPipeline(
      { ...base(dataDir), sources: [{ id: 'gen', type: 'generator', count: 1000, batchSize: 50 }], sinks: [sink('roll-events', { batch: { maxEvents: 100, maxWait: '1h' } })] },
      { once: true, api: false, logDestination: captureLogs().stream },
    );
    expect((await p.done).ok).toBe(true);
    const objects = await stored('roll-events');
    expect(objects.map((o) => o.bodies.length)).toEqual(Array(10).fill(100));
    expect(objects.flatMap((o) => o.bodies.map((b) => b.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('rolls objects by max bytes (of the events, before compression)', async () => {
    const dataDir = tempDir();
    const p = await startPipeline(
      { ...base(dataDir), sources: [{ id: 'gen', type: 'generator', count: 600, batchSize: 50 }], sinks: [sink('roll-bytes', { batch: { maxEvents: 100_000, maxBytes: '64KB', maxWait: '1h' } })] },
      { once: true, api: false, logDestination: captureLogs().stream },
    );
    expect((await p.done).ok).toBe(true);
    const objects = await stored('roll-bytes');
    const sizes = objects.map((o) => o.bodies.reduce((s, b) => s + Buffer.byteLength(JSON.stringify(b)), 0));
    expect(sizes.every((s) => s <= 64_000)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(5 * 64_000); // so there had to be several objects
    expect(objects.length).toBeGreaterThanOrEqual(6);
    expect(objects.flatMap((o) => o.bodies.map((b) => b.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('rolls a partly filled object by age (max wait) while the pipeline keeps running', async () => {
    const dataDir = tempDir();
    const started = Date.now();
    const p = await startPipeline(
      { ...base(dataDir), sources: [{ id: 'gen', type: 'generator', count: 30, batchSize: 30 }], sinks: [sink('roll-age', { batch: { maxEvents: 10_000, maxWait: '400ms' } })] },
      { once: false, api: false, logDestination: captureLogs().stream },
    );
    try {
      await vi.waitFor(async () => expect(await s3.listKeys('roll-age/')).toHaveLength(1), { timeout: 10_000, interval: 25 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      const [obj] = await stored('roll-age');
      expect(obj!.bodies.map((b) => b.id)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    } finally {
      await p.stop();
    }
  });

  it('a --once Security Lake backfill of a week writes one object per class and eventDay, and DuckDB reads each class as one table', async () => {
    const sim = await startSimulator({ seed: 7, limits: { enabled: false } });
    const dataDir = tempDir();
    try {
      const start = new Date(sim.timeRange.start * 1000 - 60_000).toISOString();
      const account = { name: 'acme', baseUrl: sim.url, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token }, requestsPerMinute: 100_000 };
      const p = await startPipeline(
        {
          ...base(dataDir),
          zendesk: { accounts: [account] },
          sources: [
            { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime: start },
            { id: 'tickets', type: 'zendesk_ticket_audits', account: 'acme', startTime: start },
            { id: 'access', type: 'zendesk_access_logs', account: 'acme', startTime: start },
          ],
          transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['audit', 'tickets', 'access'] }],
          // The sink's default batch limits (10k events, 5 min) and memory buffer: what a first run uses.
          sinks: [{ id: 'archive', type: 's3', inputs: ['ocsf'], bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, securityLake: { accountId: '123456789012' } }],
        },
        { once: true, api: false, logDestination: captureLogs().stream },
      );
      expect(await p.done).toEqual({ ok: true, failures: [] });
      const keys = await s3.listKeys('ext/');
      const dir = tempDir();
      for (const key of keys) {
        mkdirSync(dirname(join(dir, key)), { recursive: true });
        writeFileSync(join(dir, key), (await s3.getObject(key)).body);
      }
      // One object per class and day: the floor with eventDay partitions (no trail of small objects).
      const perPartition = new Map<string, number>();
      for (const key of keys) {
        const partition = key.slice(0, key.lastIndexOf('/'));
        perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
      }
      expect([...perPartition.values()].every((n) => n === 1)).toBe(true);
      const classes = [...new Set(keys.map((k) => k.split('/')[1]!))];
      expect(classes.length).toBeGreaterThanOrEqual(5);

      const db = await DuckDBInstance.create(':memory:');
      const sql = await db.connect();
      try {
        let total = 0;
        for (const source of classes) {
          const glob = join(dir, 'ext', source, '**', '*.parquet').replaceAll("'", "''");
          const [r] = (await sql.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT metadata.uid)::INTEGER AS uids, count(actor.user.name)::INTEGER AS named FROM read_parquet('${glob}')`)).getRowObjectsJS();
          expect(r!.n).toBe(r!.uids); // a clean run: no duplicates
          total += r!.n as number;
        }
        expect(total).toBe(await archiveMetric(p, 'zsf_sink_events_sent_total'));
        expect(total).toBeGreaterThan(1000);
      } finally {
        sql.closeSync();
        db.closeSync();
      }
    } finally {
      await sim.close();
    }
  }, 120_000);
});

// Archive and pipeline sinks: OCSF events (generator records through the ocsf transform)
// into the OTLP sink (test receiver on loopback in count-only mode: it gunzips and decodes
// each request, protobuf with the official proto definitions, and counts the records) and into the S3 sink (s3rver in a child
// process on loopback, so its CPU and memory are not counted in this process's RSS, but it
// shares the machine's cores). Bytes per event: on the wire for OTLP (gzip), at rest for S3.
//
// Parquet rows: OCSF events are written in their class's fixed schema (1,300–1,700 leaf columns),
// one object per class and partition per batch; the default key template partitions by hour, the
// Security Lake row by day. Every object carries ~150 KB of column metadata, so bytes per event
// depend on how many objects the events are spread over.
//
// The large-object row streams one object through the S3 sink's NDJSON encoder and
// lib-storage multipart uploader from a lazy event source, and reports this process's peak
// RSS while writing it: it shows the encoder/uploader memory, not that of a core batch
// (the core hands the sink an in-memory batch; see docs/sinks-otlp-s3.md).
//
// ZSF_BENCH_ARCHIVE_EVENTS (default 20000): events per throughput row.
// ZSF_BENCH_S3_OBJECT_MB (default 500): size of the large object (uncompressed NDJSON, MB).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { SinkPlugin } from '../src/core/plugin.js';
import { toSinkEvent, type PipelineEvent, type SinkEvent } from '../src/core/types.js';
import { otlpSink } from '../src/sinks/otlp/index.js';
import { s3Sink } from '../src/sinks/s3/index.js';
import { ndjsonStream } from '../src/sinks/s3/ndjson.js';
import { createS3Client, uploadObject } from '../src/sinks/s3/upload.js';
import { s3Options, type S3Config } from '../src/sinks/s3/config.js';
import { startOtlpReceiver } from '../test/receivers/otlp.js';
import { rawJsonRate, withPeakRss, type BenchRow } from './lib.js';
import { batches, benchEnv, drive, ocsfEvent } from './sink-harness.js';
import { commonSinkOptions } from '../test/support/sink-options.js';

const COUNT = Number(process.env.ZSF_BENCH_ARCHIVE_EVENTS ?? 20_000);
const OBJECT_MB = Number(process.env.ZSF_BENCH_S3_OBJECT_MB ?? 500);

const env = (id: string) => benchEnv(id);

function* ocsfLazy(from: number, to: number): Generator<PipelineEvent> {
  for (let i = from; i < to; i++) yield* ocsfEvent(i);
}

/** `n` events drawn in turn from `pool`, produced one at a time. */
function* cycle(pool: PipelineEvent[], n: number): Generator<SinkEvent> {
  const serialised = pool.map(toSinkEvent); // as the core's fan-out hands them to a sink
  for (let i = 0; i < n; i++) yield serialised[i % serialised.length]!;
}

async function driverRow(name: string, plugin: SinkPlugin, options: Record<string, unknown>, events: PipelineEvent[], bodyBytes: number, raw: number, where: string, batch?: { maxEvents: number; maxBytes: number }): Promise<BenchRow & { wire: number }> {
  const parsed = z.strictObject(plugin.options).parse(options);
  const e = env('bench');
  const wire = async () => (await e.metrics.sinkBytesSent.get()).values.reduce((a, v) => a + v.value, 0);
  const driver = plugin.create({ ...parsed, ...commonSinkOptions(plugin, { requestTimeout: 300_000 }), id: 'bench', type: plugin.type, inputs: ['x'] } as never, e);
  const b = batch ?? { maxEvents: plugin.defaults.maxEvents, maxBytes: plugin.defaults.maxBytes };
  const work = batches(events, b.maxEvents, b.maxBytes);
  await drive(driver, work.slice(0, 1), 1, 300_000); // warm-up: connections, JIT
  const wireBefore = await wire();
  const { result: secs, peakRssMb } = await withPeakRss(async () => {
    const t = performance.now();
    await drive(driver, work, plugin.defaults.concurrency, 300_000);
    return (performance.now() - t) / 1000;
  });
  await driver.close?.();
  const w = (await wire()) - wireBefore;
  const eps = events.length / secs;
  return {
    name,
    eventsPerSec: eps,
    mbPerSec: (eps * bodyBytes) / events.length / 1e6,
    peakRssMb,
    ratio: eps / raw,
    ratioTo: 'raw JSON',
    note: `${(w / events.length).toFixed(0)} B/event ${where} (JSON ${(bodyBytes / events.length).toFixed(0)} B), ${work.length} requests/objects, concurrency ${plugin.defaults.concurrency}`,
    wire: w,
  };
}

/** s3rver in a child process on 127.0.0.1 (default S3RVER/S3RVER credentials). */
export async function startS3rverChild(dir: string): Promise<{ endpoint: string; child: ChildProcess }> {
  const script = `
    const S3rver = require('s3rver');
    new S3rver({ address: '127.0.0.1', port: 0, directory: ${JSON.stringify(dir)}, silent: true, configureBuckets: [{ name: 'bench' }] })
      .run().then((a) => console.log(JSON.stringify({ port: a.port })));`;
  const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

export default async function (): Promise<BenchRow[]> {
  const events = [...ocsfLazy(0, COUNT)];
  const serialised = events.map((e) => JSON.stringify(e.body));
  const bodyBytes = serialised.reduce((a, s) => a + Buffer.byteLength(s), 0);
  const avg = bodyBytes / events.length;
  const raw = rawJsonRate(serialised.slice(0, 5000), 1500);
  const rows: BenchRow[] = [{ name: `raw JSON.parse+stringify (OCSF events, ${avg.toFixed(0)} B avg)`, eventsPerSec: raw, mbPerSec: (raw * avg) / 1e6 }];

  const rx = await startOtlpReceiver({ countOnly: true });
  try {
    for (const encoding of ['protobuf', 'json'] as const) {
      const before = rx.acceptedCount;
      const { wire: _w, ...row } = await driverRow(`otlp driver (${encoding}, gzip 6) → OTLP receiver`, otlpSink, { endpoint: rx.url, encoding }, events, bodyBytes, raw, 'on the wire');
      const got = rx.acceptedCount - before;
      if (got < events.length) throw new Error(`otlp ${encoding}: receiver got ${got} of ${events.length}`);
      rows.push(row);
    }
  } finally {
    await rx.close();
  }

  const dir = mkdtempSync(join(tmpdir(), 'zsf-bench-s3-'));
  const { endpoint, child } = await startS3rverChild(dir);
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const common = { bucket: 'bench', region: 'us-east-1', endpoint, forcePathStyle: true };
  try {
    const batch = { maxEvents: 10_000, maxBytes: 32 * 1024 * 1024 };
    const nd = await driverRow('s3 driver, NDJSON gzip 6 → s3rver', s3Sink, { ...common, prefix: 'nd' }, events, bodyBytes, raw, 'at rest', batch);
    const pq = await driverRow('s3 driver, Parquet (snappy) → s3rver', s3Sink, { ...common, prefix: 'pq', encoding: { codec: 'parquet' } }, events, bodyBytes, raw, 'at rest', batch);
    const pqz = await driverRow('s3 driver, Parquet (gzip) → s3rver', s3Sink, { ...common, prefix: 'pqz', encoding: { codec: 'parquet', compression: 'gzip' } }, events, bodyBytes, raw, 'at rest', batch);
    // Daily partitions (eventDay): fewer, larger objects than the default hourly key template.
    const pqsl = await driverRow('s3 driver, Parquet (snappy), Security Lake layout → s3rver', s3Sink, { ...common, securityLake: { accountId: '123456789012' } }, events, bodyBytes, raw, 'at rest', batch);
    for (const r of [nd, pq, pqz, pqsl]) {
      const { wire, ...row } = r;
      rows.push({ ...row, note: `${row.note}; ${(wire / nd.wire).toFixed(2)}× the NDJSON.gz size` });
    }

    // One large object, streamed: lazy events -> NDJSON (uncompressed, so the object is OBJECT_MB) -> multipart.
    const config = z.strictObject(s3Options).parse({ ...common, partSize: 8 * 1024 * 1024, queueSize: 4 }) as S3Config;
    const client = createS3Client(config);
    const perEvent = avg + 1;
    const n = Math.ceil((OBJECT_MB * 1e6) / perEvent);
    global.gc?.();
    const baseline = process.memoryUsage.rss() / 1024 / 1024;
    const { result, peakRssMb } = await withPeakRss(async () => {
      const t = performance.now();
      const enc = ndjsonStream(cycle(events, n), { compression: 'none', level: 6 });
      await uploadObject(client, config, { key: 'large/object.ndjson', body: enc.body, contentType: 'application/x-ndjson', metadata: {}, now: Date.now() }, AbortSignal.timeout(1_800_000));
      return { secs: (performance.now() - t) / 1000, bytes: enc.wire.bytes };
    });
    client.destroy();
    rows.push({
      name: `s3 large object: ${(result.bytes / 1e6).toFixed(0)} MB NDJSON streamed via multipart (8 MiB × 4 parts)`,
      eventsPerSec: n / result.secs,
      mbPerSec: result.bytes / 1e6 / result.secs,
      peakRssMb,
      note: `RSS before ${baseline.toFixed(0)} MB (the ${events.length} benchmark events are held); events are produced lazily from them, so the growth is the encoder + uploader footprint`,
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

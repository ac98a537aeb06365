// Tamper-evident archive (docs/integrity.md): the archive path with integrity on versus off
// (target ≥ 0.9× the throughput), and `zsf verify` speed as a ratio of the raw SHA-256 rate of
// the same bytes.
//
// - s3: OCSF events through the s3 driver (gzip NDJSON) into s3rver in a child process, batches
//   of 2,000 events (10 objects per 20,000 events), the sink's default concurrency. Off and on
//   alternate, best of 3 each (the machine is shared: the best run is the least disturbed one).
// - file: the file sink; off appends to one file, on writes one file per chain and batch.
// - verify: verifyArchive over the file sink's archive (local reads, so it measures verify, not
//   the network) versus createHash('sha256') over the same objects already in memory.
//
// ZSF_BENCH_INTEGRITY_EVENTS (default 20000): events per run.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { SinkPlugin } from '../src/core/plugin.js';
import type { PipelineEvent } from '../src/core/types.js';
import { dirStore } from '../src/integrity/dir-store.js';
import { generateSigningKeyPair, publicKeyEntry } from '../src/integrity/signer.js';
import { verifyArchive } from '../src/integrity/verify.js';
import { fileSink } from '../src/sinks/file.js';
import { s3Sink } from '../src/sinks/s3/index.js';
import type { BenchRow } from './lib.js';
import { batches, benchEnv, drive, ocsfEvent } from './sink-harness.js';
import { startS3rverChild } from './sinks-archive.bench.js';

const COUNT = Number(process.env.ZSF_BENCH_INTEGRITY_EVENTS ?? 20_000);
const BATCH = { maxEvents: 2000, maxBytes: 32 * 1024 * 1024 };
const KEYS = generateSigningKeyPair();
const scratch: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'zsf-bench-integrity-'));
  scratch.push(d);
  return d;
};

async function run(plugin: SinkPlugin, options: Record<string, unknown>, events: PipelineEvent[], dataDir: string): Promise<number> {
  const parsed = z.strictObject(plugin.options).parse(options);
  const env = { ...benchEnv('bench'), dataDir, resolvePath: (p: string) => join(dataDir, p) };
  const driver = plugin.create({ ...parsed, id: 'bench', type: plugin.type, inputs: ['x'], requestTimeout: 300_000 } as never, env);
  const work = batches(events, BATCH.maxEvents, BATCH.maxBytes);
  await drive(driver, work.slice(0, 1), 1, 300_000); // warm-up: connections, JIT, chain reconcile
  const t = performance.now();
  await drive(driver, work.slice(1), plugin.defaults.concurrency, 300_000);
  const secs = (performance.now() - t) / 1000;
  await driver.close?.();
  return (events.length - work[0]!.length) / secs;
}

/** Best of three alternating off/on runs. */
async function compare(plugin: SinkPlugin, base: (round: number, on: boolean) => Record<string, unknown>, events: PipelineEvent[]): Promise<{ off: number; on: number }> {
  let off = 0;
  let on = 0;
  for (let round = 0; round < 3; round++) {
    off = Math.max(off, await run(plugin, base(round, false), events, tempDir()));
    on = Math.max(on, await run(plugin, { ...base(round, true), integrity: { enabled: true, signingKey: KEYS.privatePem, signEvery: { objects: 5, interval: '5m' } } }, events, tempDir()));
  }
  return { off, on };
}

export default async function (): Promise<BenchRow[]> {
  const events = [...Array.from({ length: COUNT }, (_, i) => ocsfEvent(i)).flat()];
  const rows: BenchRow[] = [];
  try {
    const dir = tempDir();
    const { endpoint, child } = await startS3rverChild(dir);
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    try {
      const s3 = await compare(s3Sink, (round, on) => ({ bucket: 'bench', region: 'us-east-1', endpoint, forcePathStyle: true, prefix: `r${round}${on ? 'on' : 'off'}` }), events);
      rows.push({ name: 's3 driver, NDJSON gzip → s3rver, integrity off', eventsPerSec: s3.off, note: `best of 3, batches of ${BATCH.maxEvents}` });
      rows.push({ name: 's3 driver, NDJSON gzip → s3rver, integrity on', eventsPerSec: s3.on, ratio: s3.on / s3.off, ratioTo: 'integrity off', note: 'target ≥ 0.9; + a manifest PUT and two local state writes (one fsynced) per object, a head every 5' });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }

    const file = await compare(fileSink, () => ({ path: 'out/events.ndjson' }), events);
    rows.push({ name: 'file sink, integrity off (append + fdatasync per batch)', eventsPerSec: file.off, note: `best of 3, batches of ${BATCH.maxEvents}` });
    rows.push({ name: 'file sink, integrity on (one file per chain and batch)', eventsPerSec: file.on, ratio: file.on / file.off, ratioTo: 'integrity off', note: 'target ≥ 0.9' });

    // verify over a larger file-sink archive, against raw SHA-256 of the same bytes.
    const big = tempDir();
    const many = Array.from({ length: 5 }, () => events).flat().map((e, i) => ({ ...e, meta: { ...e.meta, id: `${e.meta.id}:${i}` } }));
    await run(fileSink, { path: 'out/events.ndjson', integrity: { enabled: true, signingKey: KEYS.privatePem, signEvery: { objects: 10, interval: '5m' } } }, many, big);
    const store = dirStore(join(big, 'out', 'events'));
    const blobs: Buffer[] = [];
    for await (const o of store.list()) blobs.push((await store.get(o.key))!);
    const total = blobs.reduce((n, b) => n + b.length, 0);
    let shaSecs = Infinity;
    let verifySecs = Infinity;
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      for (const b of blobs) createHash('sha256').update(b).digest();
      shaSecs = Math.min(shaSecs, (performance.now() - t) / 1000);
      t = performance.now();
      const report = await verifyArchive(store, { keys: [publicKeyEntry(KEYS.publicPem, 'bench')] });
      verifySecs = Math.min(verifySecs, (performance.now() - t) / 1000);
      if (!report.whole) throw new Error(`bench archive does not verify: ${JSON.stringify(report.findings.slice(0, 3))}`);
    }
    rows.push({ name: `raw SHA-256 over the archive's ${blobs.length} objects in memory`, eventsPerSec: many.length / shaSecs, mbPerSec: total / 1e6 / shaSecs });
    rows.push({ name: 'zsf verify (verifyArchive) over the same archive on disk', eventsPerSec: many.length / verifySecs, mbPerSec: total / 1e6 / verifySecs, ratio: shaSecs / verifySecs, ratioTo: 'raw SHA-256', note: 'lists, reads every object and manifest, hashes, checks links and signatures' });
  } finally {
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  }
  return rows;
}

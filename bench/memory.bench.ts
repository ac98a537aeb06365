// Peak RSS of the product itself (`zsf run`, the built dist/, in a child process of its own) in
// the two situations where it held the most memory (issue "Nothing lost, nothing stuck"):
//
// 1. fault storm: a generator fans out to Splunk HEC, Datadog, OTLP and S3 (memory buffers, the
//    sinks' default batches and concurrency) while all four destinations cycle through 5xx, 429
//    with Retry-After, connection resets, hung requests (timeouts) and a full outage together,
//    for ZSF_BENCH_STORM_SECONDS (default 60; --quick 20), then recover; `run --once` must end with every
//    event delivered (counted at each receiver; S3: the events of the stored objects).
// 0. the same four sinks without faults, 5,000 events: the fixed cost (code of the sinks'
//    clients, the runtime) that every other figure includes.
// 2. stalled sink behind a full disk buffer: the HEC never answers, the disk buffer (64 MiB)
//    fills from a source with far more records than fit, and the child is sampled for
//    ZSF_BENCH_STALL_SECONDS (default 20; --quick 10) after the buffer is full.
//
// Goal lines (issue 13): peak RSS ≤ 200 MB for the fault storm and for the stalled sink. The
// child runs as the image ships it: its NODE_OPTIONS and its glibc malloc settings (`ENV
// MALLOC_*` in the Dockerfile).
//
// Where the memory goes: the child is started with a small preload (`--import`) that writes
// `process.memoryUsage()`, the V8 heap spaces, Linux's split of the RSS (anonymous, mapped
// files) and the number of CommonJS modules loaded every 200 ms; the row's note gives the
// breakdown at the sample with the highest RSS. Extra child flags come from
// ZSF_BENCH_NODE_FLAGS (e.g. `--max-old-space-size=96` to try a heap limit). With
// ZSF_BENCH_HEAP_SNAPSHOT=<file> the child writes one heap snapshot when its RSS first passes
// ZSF_BENCH_HEAP_SNAPSHOT_MB (default 300), to open in Chrome DevTools' Memory tab. With
// ZSF_BENCH_MEMORY_SAMPLES_DIR=<dir> each case's samples are kept there (<case>.ndjson: one
// line per 200 ms, the timeline behind the peak).

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDatadogReceiver } from '../test/receivers/datadog.js';
import { startHecReceiver, type InjectedResponse, type ReceiverBase } from '../test/receivers/hec.js';
import { startOtlpReceiver } from '../test/receivers/otlp.js';
import { startS3Server, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY } from '../test/support/s3-server.js';
import { mulberry32 } from '../src/simulator/prng.js';
import { ensureBuilt, goalLine, imageMallocEnv, productNodeFlags, QUICK, reportGoals, spawnProduct, type BenchRow, type GoalLine, type ProductProcess } from './lib.js';

const STORM_SECONDS = Number(process.env.ZSF_BENCH_STORM_SECONDS ?? (QUICK ? 20 : 60));
const STALL_SECONDS = Number(process.env.ZSF_BENCH_STALL_SECONDS ?? (QUICK ? 10 : 20));
const { flags: NODE_FLAGS, note: HEAP_NOTE } = productNodeFlags();

const { env: MALLOC_ENV, note: MALLOC_NOTE } = imageMallocEnv();

/** Written into the child with --import: samples its own memory (the harness cannot see inside). */
const SAMPLER = `
import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
const cjs = createRequire(import.meta.url).cache; // CommonJS modules loaded so far (the SDKs are CommonJS)
const out = process.env.ZSF_MEMORY_SAMPLES;
const snapshot = process.env.ZSF_BENCH_HEAP_SNAPSHOT;
const snapshotAt = Number(process.env.ZSF_BENCH_HEAP_SNAPSHOT_MB ?? 300) * 2 ** 20;
const t0 = performance.now();
let snapshotTaken = false;
setInterval(() => {
  if (snapshot && !snapshotTaken && process.memoryUsage.rss() > snapshotAt) {
    snapshotTaken = true;
    v8.writeHeapSnapshot(snapshot);
  }
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
  // RSS split as the kernel counts it (Linux): anonymous memory, and pages of mapped files (the node binary's code and data).
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(status)?.[1] ?? 0) * 1024;
  appendFileSync(out, JSON.stringify({ t: Math.round(performance.now() - t0), cjsModules: Object.keys(cjs).length, ...process.memoryUsage(), rssAnon: kb('RssAnon'), rssFile: kb('RssFile'), spaces }) + '\\n');
}, Number(process.env.ZSF_BENCH_SAMPLE_MS ?? 200)).unref();
`;

interface Sample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Linux's split of the RSS: anonymous memory, and resident pages of mapped files (mostly the node binary). */
  rssAnon?: number;
  rssFile?: number;
  spaces: Record<string, number>;
}

const mb = (n: number) => (n / 2 ** 20).toFixed(0);

/** The child's memory breakdown at its highest-RSS sample. */
function breakdown(file: string, name: string): string {
  if (!existsSync(file)) return 'no samples';
  const keep = process.env.ZSF_BENCH_MEMORY_SAMPLES_DIR;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(file, join(keep, `${name}.ndjson`));
  }
  const samples = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Sample);
  const top = samples.reduce((a, b) => (b.rss > a.rss ? b : a));
  const maxHeap = Math.max(...samples.map((s) => s.heapUsed));
  const spaces = Object.entries(top.spaces)
    .filter(([, v]) => v > 2 ** 20)
    .map(([k, v]) => `${k.replace('_space', '')} ${mb(v)}`)
    .join(', ');
  const split = top.rssAnon ? `, RSS ${mb(top.rss)} = anonymous ${mb(top.rssAnon)} + files ${mb(top.rssFile ?? 0)}` : '';
  return `at peak: heap used ${mb(top.heapUsed)} of ${mb(top.heapTotal)} MB (${spaces}), external ${mb(top.external)} (array buffers ${mb(top.arrayBuffers)})${split}; max heap used ${mb(maxHeap)} MB`;
}

function startChild(dir: string, config: unknown, once: boolean): ProductProcess {
  const configFile = join(dir, 'zsf.yaml');
  writeFileSync(configFile, JSON.stringify(config)); // JSON is YAML
  const sampler = join(dir, 'sampler.mjs');
  writeFileSync(sampler, SAMPLER);
  return spawnProduct(['run', ...(once ? ['--once'] : []), '-c', configFile], {
    nodeArgs: [...NODE_FLAGS, '--import', sampler],
    env: { ...MALLOC_ENV, ...process.env, ZSF_MEMORY_SAMPLES: join(dir, 'memory.ndjson'), AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Faults off and a short run: the fixed cost of the process with the four sinks' clients loaded. */
async function faultStorm(quiet = false): Promise<BenchRow> {
  const count = quiet ? 5000 : Math.round(STORM_SECONDS * 2500);
  const hec = await startHecReceiver({ record: false, tokens: ['bench-hec'] });
  const dd = await startDatadogReceiver({ record: false, apiKeys: ['bench-dd'] });
  let otlpDown = false;
  const otlp = await startOtlpReceiver({ countOnly: true, respond: () => (otlpDown ? { status: 503 } : { status: 200 }) });
  const s3 = await startS3Server();
  const dir = mkdtempSync(join(tmpdir(), 'zsf-bench-memory-'));
  const random = mulberry32(17);
  const faults: InjectedResponse[] = [
    { status: 500, body: '{"text":"Internal server error","code":8}' },
    { status: 503, body: '{"text":"Server is busy","code":9}', headers: { 'retry-after': '1' } },
    { status: 429, body: '{"errors":["Too Many Requests"]}', headers: { 'retry-after': '1' } },
    { status: 0, drop: true },
    { status: 0, hang: true },
  ];
  const retry = { initialBackoff: '100ms', maxBackoff: '2s' };
  const common = { healthcheck: { enabled: false }, requestTimeout: '3s', unhealthyAfter: '1h', retry };
  const c = startChild(
    dir,
    {
      dataDir: join(dir, 'data'),
      api: { enabled: false },
      log: { level: 'error' },
      shutdownTimeout: '60s',
      sources: [{ id: 'gen', type: 'generator', count, batchSize: 500, ratePerSecond: 2500 }],
      sinks: [
        { id: 'hec', type: 'splunk_hec', inputs: ['gen'], endpoint: hec.url, token: 'bench-hec', ...common },
        { id: 'dd', type: 'datadog_logs', inputs: ['gen'], endpoint: dd.url, apiKey: 'bench-dd', ...common },
        { id: 'otlp', type: 'otlp', inputs: ['gen'], endpoint: otlp.url, ...common },
        { id: 's3', type: 's3', inputs: ['gen'], bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, prefix: 'bench', sdkMaxAttempts: 1, ...common, requestTimeout: '30s', batch: { maxWait: '5s' } },
      ],
    },
    true,
  );
  const t0 = performance.now();
  const receivers: ReceiverBase[] = [hec, dd];
  try {
    // Cycles of 10 s: 4 s of mixed faults, 4 s of full outage on all four, 2 s healthy.
    for (let t = 0; !quiet && t < STORM_SECONDS; t += 10) {
      for (const r of receivers) for (let i = 0; i < 40; i++) r.failNext(1, faults[Math.floor(random() * faults.length)]!);
      s3.intercept = (req) => (req.method === 'PUT' && random() < 0.5 ? { status: 503, code: 'SlowDown', retryAfter: '1' } : undefined);
      otlpDown = false;
      await sleep(4000);
      await Promise.all([hec.stop(), dd.stop(), s3.stopBackend()]);
      otlpDown = true;
      await sleep(4000);
      for (const r of receivers) r.clearFaults();
      s3.intercept = undefined;
      otlpDown = false;
      await Promise.all([hec.start(), dd.start(), s3.startBackend()]);
      await sleep(2000);
    }
    const r = await c.exited;
    const secs = (performance.now() - t0) / 1000;
    if (r.code !== 0) throw new Error(`zsf run --once exited ${r.code}:\n${r.stderr}`);
    // S3: the events each stored object says it holds (objects of failed attempts are never stored).
    let s3Events = 0;
    for (const key of await s3.listKeys('bench')) s3Events += Number((await s3.getObject(key)).metadata['zsf-events'] ?? 0);
    const delivered = { hec: hec.indexedCount, dd: dd.logCount, otlp: otlp.acceptedCount, s3: s3Events };
    for (const [k, v] of Object.entries(delivered)) if (v < count) throw new Error(`${k}: ${v} of ${count} delivered`);
    return {
      name: quiet
        ? `no faults: HEC, Datadog, OTLP, S3, memory buffers, ${count.toLocaleString('en-US')} events (fixed cost)`
        : `fault storm on HEC, Datadog, OTLP, S3 at once (${STORM_SECONDS} s), memory buffers, ${count.toLocaleString('en-US')} events`,
      eventsPerSec: count / secs,
      peakRssMb: c.peakRssMb(),
      note: `${secs.toFixed(0)} s; ${breakdown(join(dir, 'memory.ndjson'), quiet ? 'quiet' : 'storm')}`,
    };
  } finally {
    c.child.kill('SIGKILL');
    await Promise.allSettled([hec.close(), dd.close(), otlp.close(), s3.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function dirBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

async function stalledDiskBuffer(): Promise<BenchRow> {
  const hec = await startHecReceiver({ record: false, tokens: ['bench-hec'] });
  hec.failNext(1_000_000, { status: 0, hang: true }); // every request hangs: a stalled indexer
  const dir = mkdtempSync(join(tmpdir(), 'zsf-bench-memory-'));
  const maxBytes = 64 * 2 ** 20;
  const c = startChild(
    dir,
    {
      dataDir: join(dir, 'data'),
      api: { enabled: false },
      log: { level: 'error' },
      shutdownTimeout: '1s',
      sources: [{ id: 'gen', type: 'generator', count: 10_000_000, batchSize: 500 }],
      sinks: [{ id: 'hec', type: 'splunk_hec', inputs: ['gen'], endpoint: hec.url, token: 'bench-hec', healthcheck: { enabled: false }, requestTimeout: '5s', buffer: { type: 'disk', maxBytes: '64MiB' } }],
    },
    false,
  );
  const t0 = performance.now();
  try {
    const bufferDir = join(dir, 'data', 'buffers', 'hec');
    const deadline = Date.now() + 300_000;
    // The buffer is full when its segments hold maxBytes (less one frame).
    while (dirBytes(bufferDir) < maxBytes * 0.95) {
      if (Date.now() > deadline) throw new Error(`disk buffer not full after 300 s (${mb(dirBytes(bufferDir))} MB)`);
      if (c.child.exitCode !== null) throw new Error(`zsf run exited ${c.child.exitCode}:\n${(await c.exited).stderr}`);
      await sleep(200);
    }
    const fillSecs = (performance.now() - t0) / 1000;
    await sleep(STALL_SECONDS * 1000);
    const held = dirBytes(bufferDir);
    return {
      name: `stalled HEC behind a full 64 MiB disk buffer, 10,000,000-record source`,
      eventsPerSec: 0,
      peakRssMb: c.peakRssMb(),
      note: `buffer full after ${fillSecs.toFixed(0)} s (${mb(held)} MB on disk), then ${STALL_SECONDS} s stalled; ${breakdown(join(dir, 'memory.ndjson'), 'stall')}`,
    };
  } finally {
    c.child.kill('SIGKILL');
    await c.exited;
    await hec.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function (): Promise<BenchRow[]> {
  ensureBuilt();
  const only = process.env.ZSF_BENCH_MEMORY_CASES?.split(',');
  const rows: BenchRow[] = [];
  const goals: GoalLine[] = [];
  const flags = `, ${HEAP_NOTE}${MALLOC_NOTE ? ` and ${MALLOC_NOTE} (the image's)` : ''}`;
  if (!only || only.includes('quiet')) rows.push(await faultStorm(true));
  if (!only || only.includes('storm')) {
    const r = await faultStorm();
    rows.push(r);
    goals.push(goalLine(2, `sink fault storm (HEC, Datadog, OTLP, S3 at once, ${STORM_SECONDS} s): peak RSS`, r.peakRssMb!, '<=', 200, { digits: 0, unit: 'MB', note: `all events delivered${flags}` }));
  }
  if (!only || only.includes('stall')) {
    const r = await stalledDiskBuffer();
    rows.push(r);
    goals.push(goalLine(2, 'stalled sink behind a full disk buffer (64 MiB): peak RSS', r.peakRssMb!, '<=', 200, { digits: 0, unit: 'MB', note: `${STALL_SECONDS} s stalled after the buffer filled${flags}` }));
  }
  reportGoals(goals);
  return rows;
}

// End to end, as an operator runs it: the built-in Zendesk simulator -> `zsf run --once` (the
// built dist/, in a child process of its own) -> OCSF -> Splunk HEC (gzip) into a protocol
// receiver. Three measurements, each with its goal lines of issue 13:
//
// 1. backfill, limits off: memory and disk buffers at ZSF_BENCH_E2E_SIZES records (quick:
//    100k; full: 10k, 100k and 1M), the 100k cases ZSF_BENCH_E2E_RUNS times (quick 1, full 3),
//    alternating memory and disk. Per case: events/s, the ratio to the yardstick (JSON.parse +
//    JSON.stringify of the same OCSF events, measured in this process right before and right
//    after the case and averaged, so a slow or fast moment of the machine moves both), the
//    child's peak RSS (VmHWM) and Zendesk requests divided by the minimum the page sizes allow.
// 2. budget: the simulator's rate limits on with Zendesk's window scaled down (account
//    `rateWindow`, simulator `windowMs`: ZSF_BENCH_BUDGET_WINDOW_MS, default 10 s for 60 s) and the
//    budget scaled with it (20 account requests per window, 2/s, so that the budget and not
//    the CPU of a busy machine is the limit), all three streams; the share of the account
//    budget used in the first window (as the simulator counts, i.e. as Zendesk would) and 429s,
//    once with access logs on their own budget and once counted against the account as well.
// 3. start-up: process spawn to the simulator seeing the first request, one source and one
//    sink configured, with the image's NODE_OPTIONS; the median of ZSF_BENCH_STARTUP_RUNS
//    (default 5) after one warm-up. The child's compile cache (Node >= 22.1) is a folder of this
//    bench's own (NODE_COMPILE_CACHE), empty before the warm-up: the warm-up is a cold start
//    (its time is in the note), the measured runs are restarts, as in the image (/data keeps it).
//    Measured on the Node running the bench and on the image's Node (scripts/fetch-node.mjs);
//    the goal line is the image's, the other figure is in its note.
//
// ZSF_BENCH_CPU_PROF=<dir> starts the backfill children with `--cpu-prof` (profiles in <dir>);
// ZSF_BENCH_E2E_BUFFERS=memory (or disk) runs one buffer type only; ZSF_BENCH_E2E_WORKERS=N
// (default 2, 0: none) adds a 100k memory-buffer variant with `workers: N`, and a 100k
// memory-buffer variant runs on the image's Node with its yardstick measured on that Node too
// (ZSF_BENCH_E2E_IMAGE_NODE=0: not); ZSF_BENCH_NODE_FLAGS
// (e.g. `--max-old-space-size=160`, the heap limit an operator sets) go to the backfill children.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sectionDefault, type BuildEnv } from '../src/core/plugin.js';
import { recordToEvent, type PipelineEvent } from '../src/core/types.js';
import { DEMO_CREDENTIALS, startSimulator, type LimitOptions, type Simulator } from '../src/simulator/index.js';
import { startHecReceiver } from '../test/receivers/hec.js';
import { transformPlugins } from '../transforms/index.js';
import { ensureBuilt, goalLine, imageMallocEnv, median, productNodeFlags, QUICK, rawJsonRate, reportGoals, spawnProduct, type BenchRow, type GoalLine } from './lib.js';

const SIZES = (process.env.ZSF_BENCH_E2E_SIZES ?? (QUICK ? '100000' : '10000,100000,1000000')).split(',').map(Number);
/** Runs of each case up to 100k records; the 1M cases run once (each takes minutes). */
const RUNS = Number(process.env.ZSF_BENCH_E2E_RUNS ?? (QUICK ? 1 : 3));
const BUDGET_WINDOW_MS = Number(process.env.ZSF_BENCH_BUDGET_WINDOW_MS ?? 10_000);
const STARTUP_RUNS = Number(process.env.ZSF_BENCH_STARTUP_RUNS ?? 5);
const CPU_PROF = process.env.ZSF_BENCH_CPU_PROF;
const BUFFERS = (process.env.ZSF_BENCH_E2E_BUFFERS ?? 'memory,disk').split(',') as ('memory' | 'disk')[];
/** Transform workers of the extra 100k memory-buffer variant (0: no such variant). */
const WORKERS = Number(process.env.ZSF_BENCH_E2E_WORKERS ?? 2);
/** ZSF_BENCH_E2E_IMAGE_NODE=0 leaves out the 100k memory-buffer variant on the image's Node. */
const IMAGE_VARIANT = process.env.ZSF_BENCH_E2E_IMAGE_NODE !== '0';
const { flags: NODE_FLAGS, note: NODE_NOTE } = productNodeFlags();
const { env: MALLOC_ENV, note: MALLOC_NOTE } = imageMallocEnv();
/** How the backfill children run: the image's node flags and malloc settings. */
const HEAP_NOTE = `${NODE_NOTE}${MALLOC_NOTE ? ` and ${MALLOC_NOTE} (the image's)` : ''}`;

/** 40 % audit logs, 50 % access logs, 10 % ticket events: roughly what an Enterprise account logs. */
const mix = (n: number) => ({ auditLogs: Math.round(n * 0.4), accessLogs: Math.round(n * 0.5), ticketEvents: Math.round(n * 0.1) });
type Mix = ReturnType<typeof mix>;
/** Page sizes: audit logs 100, access logs 2500 (configured below), ticket events 1000. */
const minimumRequests = (m: Mix) => Math.ceil(m.auditLogs / 100) + Math.ceil(m.accessLogs / 2500) + Math.ceil(m.ticketEvents / 1000);
const thousands = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** The yardstick's input: the simulator's records mapped to OCSF, serialised. */
async function ocsfSample(sim: Simulator): Promise<string[]> {
  const plugin = transformPlugins.find((p) => p.type === 'ocsf')!;
  const t = plugin.create({ id: 'ocsf', type: 'ocsf', inputs: [], enrich: true, newIpWindow: 30 * 86_400_000, newIpMaxUsers: 100_000, ticketAudits: 'per_audit', rawData: false } as never, { section: sectionDefault } as BuildEnv);
  const out: string[] = [];
  const streams = [
    ['audit_log', sim.records('audit_logs')],
    ['access_log', sim.records('access_logs')],
    ['ticket_audit', sim.records('ticket_events')],
  ] as const;
  for (const [stream, records] of streams) {
    for (const raw of records.slice(0, 2000) as unknown as Record<string, unknown>[]) {
      const r = await t(recordToEvent({ account: 'sim', stream, id: String(raw.id), time: 0, raw }));
      for (const e of (Array.isArray(r) ? r : r ? [r] : []) as PipelineEvent[]) out.push(JSON.stringify(e.body));
    }
  }
  return out;
}

/** A `zsf run` config: the three Zendesk streams of the simulator into one HEC sink. */
function productConfig(dir: string, sim: Simulator, hecUrl: string, o: { buffer: 'memory' | 'disk'; budget?: number; endpointLimit?: number; streams?: ('audit' | 'access' | 'tickets')[]; workers?: number }): string {
  const start = new Date(sim.timeRange.start * 1000 - 60_000).toISOString();
  const streams = o.streams ?? ['audit', 'access', 'tickets'];
  const endpointLimit = o.endpointLimit ?? 1000;
  const sources = [
    { id: 'audit', type: 'zendesk_audit_logs', account: 'sim', startTime: start, initialWindow: '1d' },
    { id: 'access', type: 'zendesk_access_logs', account: 'sim', startTime: start, pageSize: 2500, initialWindow: '1d', requestsPerMinute: endpointLimit },
    { id: 'tickets', type: 'zendesk_ticket_audits', account: 'sim', startTime: start, requestsPerMinute: Math.min(100, endpointLimit) },
  ].filter((s) => streams.includes(s.id as 'audit'));
  const account = {
    name: 'sim',
    baseUrl: sim.url,
    auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token },
    requestsPerMinute: o.budget ?? 100_000,
    ...(o.budget ? { rateWindow: BUDGET_WINDOW_MS } : {}),
  };
  const config = join(dir, 'zsf.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      dataDir: join(dir, 'data'),
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      api: { enabled: false },
      log: { level: 'warn' },
      zendesk: { accounts: [account] },
      sources,
      transforms: [{ id: 'ocsf', type: 'ocsf', inputs: sources.map((s) => s.id) }],
      sinks: [{ id: 'hec', type: 'splunk_hec', inputs: ['ocsf'], endpoint: hecUrl, token: 'test-hec-token', buffer: o.buffer === 'disk' ? { type: 'disk', maxBytes: '1GiB' } : { type: 'memory' } }],
    }),
  ); // JSON is YAML
  return config;
}

interface Run {
  eps: number;
  ratio: number;
  yardstick: number;
  peakRssMb: number;
  secs: number;
  events: number;
  requestsRatio: number;
  /** The child's CPU seconds (user + sys) per 1,000 events: the product's cost, whatever the machine's load. */
  childCpuMsPerKEvents: number;
  /** The child's CPU seconds ÷ its wall seconds: near 1 (or above, with zlib's thread pool) when it is busy, lower when it waits. */
  childBusy: number;
  /** This process's (simulator + HEC receiver) CPU seconds ÷ wall seconds during the run: near 1 means it may be what the child waits on. */
  benchBusy: number;
}

/**
 * The yardstick on another Node binary (the image's): the same JSON.parse + JSON.stringify loop
 * as rawJsonRate, in a child of that Node, over the same serialised events.
 */
function yardstickOn(node: string, inputFile: string, minMs: number): number {
  const script = `const items = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
let n = 0; const start = performance.now(); let elapsed = 0;
do { for (const s of items) JSON.stringify(JSON.parse(s)); n += items.length; elapsed = performance.now() - start; } while (elapsed < ${minMs});
process.stdout.write(String((n / elapsed) * 1000));`;
  return Number(execFileSync(node, ['-e', script, inputFile], { encoding: 'utf8' }));
}

/** One `zsf run --once` backfill with the yardstick measured right before and right after it (on `on.node` when given: the product and the yardstick both). */
async function backfillRun(sim: Simulator, m: Mix, yardstickInput: string[], buffer: 'memory' | 'disk', workers?: number, on?: { node: string; inputFile: string }): Promise<Run> {
  const hec = await startHecReceiver({ record: false });
  const dir = mkdtempSync(join(tmpdir(), 'zsf-bench-e2e-'));
  try {
    const config = productConfig(dir, sim, hec.url, { buffer, ...(workers !== undefined ? { workers } : {}) });
    sim.resetStats();
    const yardstickNow = () => (on ? yardstickOn(on.node, on.inputFile, 1500) : rawJsonRate(yardstickInput, 1500));
    const before = yardstickNow();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const p = spawnProduct(['run', '--once', '-c', config], { ...(on ? { node: on.node } : {}), nodeArgs: [...NODE_FLAGS, ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [])], env: { ...MALLOC_ENV, ...process.env } });
    const { code, stderr } = await p.exited;
    const secs = (performance.now() - t0) / 1000;
    const benchCpu = process.cpuUsage(cpu0);
    const after = yardstickNow();
    if (code !== 0) throw new Error(`zsf run --once exited ${code}:\n${stderr}`);
    const yardstick = (before + after) / 2;
    const events = hec.indexedCount;
    const eps = events / secs;
    return {
      eps,
      ratio: eps / yardstick,
      yardstick,
      peakRssMb: p.peakRssMb(),
      secs,
      events,
      requestsRatio: sim.counters.total / minimumRequests(m),
      childCpuMsPerKEvents: (p.cpuSeconds() * 1e6) / events,
      childBusy: p.cpuSeconds() / secs,
      benchBusy: (benchCpu.user + benchCpu.system) / 1e6 / secs,
    };
  } finally {
    await hec.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function backfills(rows: BenchRow[], goals: GoalLine[]): Promise<void> {
  const peaks: Record<string, Record<number, number>> = { memory: {}, disk: {} };
  for (const size of SIZES) {
    const m = mix(size);
    const sim = await startSimulator({ seed: 5, data: { ...m, endTime: Date.now() - 600_000 }, limits: { enabled: false } });
    try {
      const yardstickInput = await ocsfSample(sim);
      const runs = size <= 100_000 ? RUNS : 1;
      const results: Record<'memory' | 'disk', Run[]> = { memory: [], disk: [] };
      // The worker pool (off by default) beside the default, at 100k: what `workers` buys here.
      const pooled: Run[] = [];
      const withPool = WORKERS > 0 && size === 100_000 && BUFFERS.includes('memory');
      // The product as the image ships it (its Node), beside the bench's Node, at 100k: not a
      // goal line (those are measured on the Node that runs the bench), but what operators get.
      const image = size === 100_000 && BUFFERS.includes('memory') && IMAGE_VARIANT ? imageNode() : undefined;
      const onImage = image && image.version !== process.versions.node ? { node: image.node, version: image.version, inputFile: join(mkdtempSync(join(tmpdir(), 'zsf-bench-yardstick-')), 'input.json') } : undefined;
      if (onImage) writeFileSync(onImage.inputFile, JSON.stringify(yardstickInput));
      const imaged: Run[] = [];
      // Alternating, so that a busy stretch of the shared machine falls on every variant.
      for (let i = 0; i < runs; i++) {
        for (const buffer of BUFFERS) results[buffer].push(await backfillRun(sim, m, yardstickInput, buffer));
        if (withPool) pooled.push(await backfillRun(sim, m, yardstickInput, 'memory', WORKERS));
        if (onImage) imaged.push(await backfillRun(sim, m, yardstickInput, 'memory', undefined, onImage));
      }
      if (onImage) {
        rmSync(dirname(onImage.inputFile), { recursive: true, force: true });
        rows.push({
          name: `simulator → OCSF → HEC (gzip), ${thousands(size)} records, memory buffer, on the image's Node ${onImage.version}`,
          eventsPerSec: median(imaged.map((r) => r.eps)),
          peakRssMb: Math.max(...imaged.map((r) => r.peakRssMb)),
          ratio: median(imaged.map((r) => r.ratio)),
          ratioTo: `yardstick ${int(median(imaged.map((r) => r.yardstick)))}/s on Node ${onImage.version}`,
          note: `not a goal line (the goals are measured on the bench's Node ${process.versions.node}); product and yardstick both on Node ${onImage.version}; ratios ${imaged.map((r) => r.ratio.toFixed(3)).join(', ')}, child CPU ${imaged.map((r) => r.childCpuMsPerKEvents.toFixed(0)).join(', ')} ms per 1k events, ${HEAP_NOTE}, compile cache as the product sets it`,
        });
      }
      if (withPool) {
        const base = results.memory;
        rows.push({
          name: `simulator → OCSF → HEC (gzip), ${thousands(size)} records, memory buffer, workers: ${WORKERS}`,
          eventsPerSec: median(pooled.map((r) => r.eps)),
          peakRssMb: Math.max(...pooled.map((r) => r.peakRssMb)),
          ratio: median(pooled.map((r) => r.ratio)),
          ratioTo: `yardstick ${int(median(pooled.map((r) => r.yardstick)))}/s`,
          note: `not a goal line (workers is off by default); ratios ${pooled.map((r) => r.ratio.toFixed(3)).join(', ')} against ${base.map((r) => r.ratio.toFixed(3)).join(', ')} without, child CPU ${pooled.map((r) => r.childCpuMsPerKEvents.toFixed(0)).join(', ')} against ${base.map((r) => r.childCpuMsPerKEvents.toFixed(0)).join(', ')} ms per 1k events, peak RSS ${Math.max(...pooled.map((r) => r.peakRssMb)).toFixed(0)} against ${Math.max(...base.map((r) => r.peakRssMb)).toFixed(0)} MB`,
        });
      }
      for (const buffer of BUFFERS) {
        const rs = results[buffer];
        const eps = median(rs.map((r) => r.eps));
        const ratio = median(rs.map((r) => r.ratio));
        const yardstick = median(rs.map((r) => r.yardstick));
        const peak = Math.max(...rs.map((r) => r.peakRssMb));
        const reqRatio = Math.max(...rs.map((r) => r.requestsRatio));
        peaks[buffer]![size] = peak;
        const what = `${thousands(size)} records, ${buffer} buffer`;
        const runsText = rs.length > 1 ? `median of ${rs.length} runs (ratios ${rs.map((r) => r.ratio.toFixed(3)).join(', ')})` : '1 run';
        const cpuText = `child CPU ${rs.map((r) => r.childCpuMsPerKEvents.toFixed(0)).join(', ')} ms per 1k events (busy ${rs.map((r) => r.childBusy.toFixed(2)).join(', ')}); simulator + receiver busy ${rs.map((r) => r.benchBusy.toFixed(2)).join(', ')}`;
        rows.push({
          name: `simulator → OCSF → HEC (gzip), ${what}`,
          eventsPerSec: eps,
          peakRssMb: peak,
          ratio,
          ratioTo: `yardstick ${int(yardstick)}/s`,
          note: `${rs[0]!.events} events in ${median(rs.map((r) => r.secs)).toFixed(1)} s (process start included), ${runsText}; ${cpuText}; requests ÷ minimum ${reqRatio.toFixed(2)} (minimum ${minimumRequests(m)})`,
        });
        const beside = `${int(eps)} events/s beside the yardstick's ${int(yardstick)}/s, ${runsText}`;
        if (size >= 100_000) {
          goals.push(goalLine(1, `e2e to HEC, ${what}: ratio to the yardstick`, ratio, '>=', buffer === 'memory' ? 0.33 : 0.25, { digits: 3, note: beside }));
          goals.push(goalLine(2, `e2e to HEC, ${what}: peak RSS`, peak, '<=', 200, { digits: 0, unit: 'MB', note: `the child’s VmHWM, highest of the runs; ${HEAP_NOTE}` }));
        }
        goals.push(goalLine(3, `backfill of ${thousands(size)} records (${buffer} buffer): Zendesk requests ÷ minimum`, reqRatio, '<=', 1.05, { note: `minimum ${minimumRequests(m)} requests (audit 100, access 2,500, ticket events 1,000 per page)` }));
      }
    } finally {
      await sim.close();
    }
  }
  // Flat from 100k to 1M: the 1M peak within 10 % of the 100k peak.
  for (const buffer of ['memory', 'disk'] as const) {
    const small = peaks[buffer]![100_000];
    const large = peaks[buffer]![1_000_000];
    if (small && large) goals.push(goalLine(2, `peak RSS flat from 100k to 1M records (${buffer} buffer): 1M peak ÷ 100k peak`, large / small, '<=', 1.1, { note: `${int(small)} → ${int(large)} MB; "flat" read as within 10 %; ${HEAP_NOTE}` }));
  }
}

/**
 * The budget case: rate limits on, the window scaled down; share of the account budget used in
 * the first window. Run twice: with the simulator counting access-log requests apart (its
 * default) and against the account as well; Zendesk does not document which, so the goal must
 * hold both ways.
 */
async function budget(rows: BenchRow[], goals: GoalLine[]): Promise<void> {
  for (const accessCounted of [false, true]) await budgetRun(rows, goals, accessCounted);
}

async function budgetRun(rows: BenchRow[], goals: GoalLine[], accessCounted: boolean): Promise<void> {
  const perWindow = 20; // account budget per (scaled) window
  const endpointLimit = 10; // access logs and incremental exports, per window each
  const m = { auditLogs: 6000, accessLogs: 10_000, ticketEvents: 3000 }; // 63 account requests: 3 windows and some
  const limits: LimitOptions = { enabled: true, windowMs: BUDGET_WINDOW_MS, accountPerMinute: perWindow, accessLogsPerMinute: endpointLimit, incrementalPerMinute: endpointLimit, accessLogsCountAgainstAccount: accessCounted };
  const sim = await startSimulator({ seed: 9, data: { ...m, endTime: Date.now() - 600_000 }, limits });
  const hec = await startHecReceiver({ record: false });
  const dir = mkdtempSync(join(tmpdir(), 'zsf-bench-e2e-'));
  try {
    const config = productConfig(dir, sim, hec.url, { buffer: 'memory', budget: perWindow, endpointLimit });
    const t0 = performance.now();
    const p = spawnProduct(['run', '--once', '-c', config]);
    const { code, stderr } = await p.exited;
    const secs = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`zsf run --once exited ${code}:\n${stderr}`);
    const times = sim.requests.map((r) => r.time);
    const first = times[0]!;
    // Requests the simulator counts against the account, as Zendesk would: audit logs and
    // ticket events, and access logs in the mode that counts them.
    const account = sim.requests.filter((r) => r.endpoint !== 'access_logs' || accessCounted);
    // The first window after the first request (it spans the end of one fixed window and the
    // start of the next, as Zendesk's minutes do not start with our first request).
    const firstUse = account.filter((r) => r.time < first + BUDGET_WINDOW_MS).length / perWindow;
    const firstUseWithAccess = sim.requests.filter((r) => r.time < first + BUDGET_WINDOW_MS).length / perWindow;
    // Complete fixed windows (the simulator's, aligned to the clock) between the first request
    // and the last: the steady use of the budget.
    const firstFixed = Math.ceil(first / BUDGET_WINDOW_MS) * BUDGET_WINDOW_MS;
    const full = Math.floor((times[times.length - 1]! - firstFixed) / BUDGET_WINDOW_MS);
    const steady = full > 0 ? account.filter((r) => r.time >= firstFixed && r.time < firstFixed + full * BUDGET_WINDOW_MS).length / full / perWindow : NaN;
    const tooMany = sim.counters.tooManyRequests;
    const mode = accessCounted ? 'access logs counted against the account' : 'access logs on their own budget';
    rows.push({
      name: `budget (${mode}): ${thousands(m.auditLogs)} audit + ${thousands(m.accessLogs)} access + ${thousands(m.ticketEvents)} ticket events, account ${perWindow}/window, endpoints ${endpointLimit}/window, window ${BUDGET_WINDOW_MS} ms for 60 s`,
      eventsPerSec: hec.indexedCount / secs,
      peakRssMb: p.peakRssMb(),
      ratio: firstUse,
      ratioTo: 'account budget used in the first window',
      note: `${sim.counters.total} requests (minimum ${minimumRequests(m)}) in ${secs.toFixed(1)} s, ${tooMany} × 429, ${sim.counters.retryAfterViolations} Retry-After violations; mean of ${full} complete fixed windows ${steady.toFixed(2)}`,
    });
    const scaled = `window scaled to ${BUDGET_WINDOW_MS / 1000} s (account rateWindow), ${perWindow} account requests per window, reserve 1`;
    const allRequests = accessCounted ? '' : `; with access-log requests ${firstUseWithAccess.toFixed(2)}`;
    goals.push(goalLine(4, `request budget used in the first minute (first window; ${mode})`, firstUse, '>=', 0.95, { note: `${scaled}${allRequests}; complete fixed windows ${steady.toFixed(2)}` }));
    goals.push(goalLine(4, `429 answers during a budgeted backfill (${mode})`, tooMany, '<=', 0, { digits: 0, note: `${sim.counters.total} requests, ${sim.counters.retryAfterViolations} Retry-After violations` }));
  } finally {
    await hec.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start-up: process spawn to the simulator seeing the first request, one source and one sink. */
async function startupOn(node: string, version: string): Promise<{ times: number[]; cold: number; compileCache: boolean }> {
  const sim = await startSimulator({ seed: 11, data: { auditLogs: 1000, accessLogs: 0, ticketEvents: 0, endTime: Date.now() - 600_000 }, limits: { enabled: false } });
  const hec = await startHecReceiver({ record: false });
  const cacheDir = mkdtempSync(join(tmpdir(), 'zsf-bench-compile-cache-'));
  const env: NodeJS.ProcessEnv = { ...MALLOC_ENV, ...process.env, NODE_COMPILE_CACHE: cacheDir };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  // Node >= 22.1 has an on-disk compile cache, which the CLI turns on (src/cli/compile-cache.ts).
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const compileCache = major > 22 || (major === 22 && minor >= 1);
  const times: number[] = [];
  let cold = NaN;
  try {
    for (let i = 0; i <= STARTUP_RUNS; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'zsf-bench-e2e-'));
      try {
        const config = productConfig(dir, sim, hec.url, { buffer: 'memory', streams: ['audit'] });
        sim.resetStats();
        const spawnedAt = Date.now(); // the simulator stamps requests with Date.now() too
        const p = spawnProduct(['run', '--once', '-c', config], { nodeArgs: NODE_FLAGS, env, node });
        const { code, stderr } = await p.exited;
        if (code !== 0) throw new Error(`zsf run --once exited ${code}:\n${stderr}`);
        const ms = sim.requests[0]!.time - spawnedAt;
        if (i > 0) times.push(ms);
        else cold = ms; // run 0 warms the file cache and fills the compile cache
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await hec.close();
    await sim.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
  return { times, cold, compileCache };
}

/**
 * The Node the image runs (scripts/fetch-node.mjs: the Dockerfile's major, the binary from the
 * npm registry, cached), or undefined when it cannot be had here.
 */
function imageNode(): { node: string; version: string } | undefined {
  try {
    const bin = execFileSync(process.execPath, ['scripts/fetch-node.mjs'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    const node = join(bin, 'node');
    return { node, version: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '') };
  } catch {
    return undefined;
  }
}

/**
 * Start-up on the Node that runs the bench and on the image's Node. The goal line is the
 * image's (the product as it ships: its Node, its NODE_OPTIONS, its compile cache kept under
 * /data, so a restart starts warm); the other is printed beside it.
 */
async function startup(rows: BenchRow[], goals: GoalLine[]): Promise<void> {
  const here = { node: process.execPath, version: process.versions.node };
  const image = imageNode();
  const nodes = image && image.version !== here.version ? [here, image] : [here];
  const measured: { version: string; ms: number; how: string; times: number[] }[] = [];
  for (const n of nodes) {
    const { times, cold, compileCache } = await startupOn(n.node, n.version);
    const ms = median(times);
    const cache = compileCache ? `compile cache warm (cold first start ${cold} ms)` : `no compile cache on Node ${n.version} (first start ${cold} ms)`;
    const how = `node ${n.version}${n === image ? " (the image's)" : ''}, ${HEAP_NOTE}, ${cache}`;
    measured.push({ version: n.version, ms, how, times });
    rows.push({ name: `start-up: spawn → first Zendesk request (one source, one HEC sink), Node ${n.version}`, eventsPerSec: 0, note: `median ${ms} ms of ${times.length} runs (${times.join(', ')} ms) after one warm-up; ${how}` });
  }
  const goal = measured[measured.length - 1]!; // the image's Node when there is one
  const other = measured.length > 1 ? `; on this machine's Node ${measured[0]!.version}: ${measured[0]!.ms} ms (${measured[0]!.how})` : image ? '' : "; the image's Node could not be fetched";
  goals.push(goalLine(5, 'start-up to first request, one sink configured', goal.ms, '<', 300, { digits: 0, unit: 'ms', note: `median of ${goal.times.length} runs: ${goal.times.join(', ')} ms; ${goal.how}${other}` }));
}

export default async function (): Promise<BenchRow[]> {
  ensureBuilt();
  const rows: BenchRow[] = [];
  const goals: GoalLine[] = [];
  const only = process.env.ZSF_BENCH_E2E_CASES?.split(',');
  if (!only || only.includes('startup')) await startup(rows, goals);
  if (!only || only.includes('budget')) await budget(rows, goals);
  if (!only || only.includes('backfill')) await backfills(rows, goals);
  reportGoals(goals);
  return rows;
}

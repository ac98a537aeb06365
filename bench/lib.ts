import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Shared helpers for `npm run bench`. Each bench module default-exports an async function
// returning rows; bench/run.ts prints them as one table.

export interface BenchRow {
  /** What was measured, e.g. "ocsf audit_log mapper". */
  name: string;
  eventsPerSec: number;
  mbPerSec?: number;
  peakRssMb?: number;
  /** Ratio against the comparison named in `ratioTo` (e.g. raw JSON parse+stringify). */
  ratio?: number;
  ratioTo?: string;
  note?: string;
}

export type BenchModule = () => Promise<BenchRow[]>;

/**
 * `npm run bench -- --quick` (development: 100k records only, one run, short storms) or the
 * full run (the default). bench/run.ts passes it to every bench process in ZSF_BENCH_MODE.
 */
export const QUICK = process.env.ZSF_BENCH_MODE === 'quick';

/** One goal line of issue 13 with the figure this run measured. */
export interface GoalLine {
  /** The goal as the issue states it, with the case it was measured on. */
  goal: string;
  /** E.g. "≥ 0.33", "≤ 200 MB", "< 300 ms". */
  target: string;
  /** The measured figure as printed (with its unit). */
  measured: string;
  pass: boolean;
  /** What the figure is beside (the yardstick of the same run, the run count, …). */
  note?: string;
  /** Position in the goal table: the order (1 throughput, 2 memory, 3 requests, 4 budget, 5 start-up). */
  order: number;
}

/** A goal line comparing `value` with `limit`; `digits` decimals, `unit` appended to both. */
export function goalLine(order: number, goal: string, value: number, op: '>=' | '<=' | '<', limit: number, o: { digits?: number; unit?: string; note?: string } = {}): GoalLine {
  const unit = o.unit ? ` ${o.unit}` : '';
  const f = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: o.digits ?? 2, minimumFractionDigits: o.digits ?? 2 });
  const pass = Number.isFinite(value) && (op === '>=' ? value >= limit : op === '<=' ? value <= limit : value < limit);
  return { goal, target: `${op === '>=' ? '≥' : op === '<=' ? '≤' : '<'} ${f(limit)}${unit}`, measured: Number.isFinite(value) ? `${f(value)}${unit}` : 'not measured', pass, order, ...(o.note ? { note: o.note } : {}) };
}

/**
 * Hands goal lines to bench/run.ts, which prints them all in one table at the end. Bench files
 * run in processes of their own, so the lines go through a file (ZSF_BENCH_GOALS_FILE).
 */
export function reportGoals(lines: GoalLine[]): void {
  const file = process.env.ZSF_BENCH_GOALS_FILE;
  if (!file) return;
  for (const l of lines) appendFileSync(file, JSON.stringify(l) + '\n');
}

/** The median of `xs` (the middle run; with an even count, the mean of the two middle ones). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Samples RSS every 20 ms while `fn` runs and returns the peak in MiB. */
export async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakRssMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakRssMb: peak / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

/** Runs `fn` over `items` repeatedly for at least `minMs` and returns items/s. */
export function rate<T>(items: T[], fn: (item: T) => unknown, minMs = 1000): number {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const item of items) fn(item);
    n += items.length;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (n / elapsed) * 1000;
}

/** The comparison every bench uses: JSON.parse + JSON.stringify of the same serialised records. */
export function rawJsonRate(serialised: string[], minMs = 1000): number {
  return rate(serialised, (s) => JSON.stringify(JSON.parse(s)), minMs);
}

/** The built CLI, as an operator runs it; the benches that measure the product start this. */
export const BUILT_CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Newest modification time of the .ts files under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm run build` when dist/ is missing or older than a source file (a stale dist/ would measure old code). */
export function ensureBuilt(): void {
  if (existsSync(BUILT_CLI) && statSync(BUILT_CLI).mtimeMs >= Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'transforms')))) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

export interface ProductProcess {
  child: ChildProcess;
  /** High-water RSS of the child so far (VmHWM, sampled every 50 ms), MiB. */
  peakRssMb(): number;
  /** The child's CPU time (user + sys from /proc/<pid>/stat, sampled every 50 ms, so up to 50 ms short), seconds. */
  cpuSeconds(): number;
  exited: Promise<{ code: number | null; stderr: string }>;
}

/** Starts `node [nodeArgs] dist/src/cli/main.js <args>` and follows its peak RSS until it exits. */
export function spawnProduct(args: string[], o: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; node?: string } = {}): ProductProcess {
  const child = spawn(o.node ?? process.execPath, [...(o.nodeArgs ?? []), BUILT_CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], ...(o.env ? { env: o.env } : {}) });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  let peakKb = 0;
  let cpuTicks = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
      // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpuTicks = Math.max(cpuTicks, Number(f[11]) + Number(f[12]));
    } catch {
      // exited between two samples
    }
  }, 50);
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, stderr });
    });
  });
  // Linux clock ticks are 100 per second on every common kernel configuration (USER_HZ).
  return { child, peakRssMb: () => peakKb / 1024, cpuSeconds: () => cpuTicks / 100, exited };
}

/**
 * Node flags for the product's process in the memory and e2e benches: `ZSF_BENCH_NODE_FLAGS`
 * when set (an empty value measures without any), otherwise the image's own `NODE_OPTIONS`
 * read from the Dockerfile, so the goal lines measure the product as it ships.
 */
export function productNodeFlags(): { flags: string[]; note: string } {
  const set = process.env.ZSF_BENCH_NODE_FLAGS;
  if (set !== undefined) {
    const flags = set.split(' ').filter(Boolean);
    return { flags, note: flags.length ? `node ${flags.join(' ')}` : 'no heap limit (ZSF_BENCH_NODE_FLAGS empty)' };
  }
  const dockerfile = readFileSync(fileURLToPath(new URL('../Dockerfile', import.meta.url)), 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  const m = /NODE_OPTIONS="?([^"\n]+?)"?\s*$/m.exec(dockerfile);
  const flags = m ? m[1]!.split(' ').filter(Boolean) : [];
  return { flags, note: flags.length ? `the image's NODE_OPTIONS (${flags.join(' ')})` : 'no heap limit' };
}

/**
 * The image's glibc malloc settings (`ENV MALLOC_*=` lines of the Dockerfile) for the product's
 * process in the memory and e2e benches, so the child runs as it ships; a variable set in the
 * bench's own environment wins, and ZSF_BENCH_IMAGE_MALLOC=off measures without them.
 * `note` names the ones applied.
 */
export function imageMallocEnv(): { env: Record<string, string>; note: string } {
  if (process.env.ZSF_BENCH_IMAGE_MALLOC === 'off') return { env: {}, note: '' };
  const dockerfile = readFileSync(fileURLToPath(new URL('../Dockerfile', import.meta.url)), 'utf8');
  const env = Object.fromEntries([...dockerfile.matchAll(/^ENV\s+(MALLOC_[A-Z_]+)=(\S+)\s*$/gm)].map((m) => [m[1]!, m[2]!]));
  const note = Object.entries(env)
    .filter(([k]) => process.env[k] === undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return { env, note };
}

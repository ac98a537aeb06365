import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/** `npm run build` when dist/ is missing. */
export function ensureBuilt(): void {
  if (existsSync(BUILT_CLI)) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

export interface ProductProcess {
  child: ChildProcess;
  /** High-water RSS of the child so far (VmHWM, sampled every 50 ms), MiB. */
  peakRssMb(): number;
  exited: Promise<{ code: number | null; stderr: string }>;
}

/** Starts `node [nodeArgs] dist/src/cli/main.js <args>` and follows its peak RSS until it exits. */
export function spawnProduct(args: string[], o: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): ProductProcess {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), BUILT_CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], ...(o.env ? { env: o.env } : {}) });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  let peakKb = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
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
  return { child, peakRssMb: () => peakKb / 1024, exited };
}

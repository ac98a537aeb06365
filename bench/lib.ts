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

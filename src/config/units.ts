// Human units in config: durations ("500ms", "30s", "5m", "1h", "1d") and sizes
// ("64KiB", "10MB", "1GiB"). Plain numbers mean milliseconds and bytes.

import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(input);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]!);
}

export function parseSize(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isInteger(input) && input >= 0 ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(input);
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

/** A duration field; the parsed value is milliseconds. */
export function duration(opts: { min?: number; max?: number } = {}) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "500ms", "30s", "5m" or "1h", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (opts.min !== undefined && ms < opts.min) ctx.addIssue({ code: 'custom', message: `must be at least ${formatDuration(opts.min)}` });
    if (opts.max !== undefined && ms > opts.max) ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(opts.max)}` });
    return ms;
  });
}

/** A size field; the parsed value is bytes. */
export function size(opts: { min?: number; max?: number } = {}) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const bytes = parseSize(v);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a size such as "64KiB", "10MB" or "1GiB", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (opts.min !== undefined && bytes < opts.min) ctx.addIssue({ code: 'custom', message: `must be at least ${opts.min} bytes` });
    if (opts.max !== undefined && bytes > opts.max) ctx.addIssue({ code: 'custom', message: `must be at most ${opts.max} bytes` });
    return bytes;
  });
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

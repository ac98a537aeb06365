// Time helpers of the simulator's data (Zendesk's second-precision ISO format), shared by
// data.ts and the per-stream generators.

export const SYSTEM_ACTOR = { id: -1, name: 'Zendesk' } as const;

export function toSec(v: number | string | Date): number {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw new Error(`invalid time: ${String(v)}`);
  return Math.floor(ms / 1000);
}

const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let dayCacheKey = NaN;
let dayCachePrefix = '';

/** "2026-01-02T03:04:05Z": the second-precision ISO format Zendesk uses. (Date#toISOString is slow; this caches the day.) */
export function isoSec(sec: number): string {
  const day = Math.floor(sec / 86400);
  if (day !== dayCacheKey) {
    dayCacheKey = day;
    dayCachePrefix = new Date(day * 86400000).toISOString().slice(0, 11);
  }
  const s = sec - day * 86400;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${dayCachePrefix}${TWO[h] as string}:${TWO[m] as string}:${TWO[s % 60] as string}Z`;
}

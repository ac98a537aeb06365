// Two ways to show a TopSnapshot: plain `key=value` lines (not a TTY: pipes, logs, tests)
// and a screen of tables redrawn in place (a TTY).

import type { TopSnapshot } from './snapshot.js';

const dash = '-';

function fixed(v: number | null, digits = 1): string {
  return v === null || !Number.isFinite(v) ? dash : v.toFixed(digits);
}
function int(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v)) : dash;
}

/** One line per source, sink, dead-letter series and account, each starting with the scrape time. */
export function renderPlain(s: TopSnapshot): string[] {
  const t = new Date(s.time).toISOString();
  const lines: string[] = [];
  const up = (v: boolean | null) => (v === null ? dash : v ? '1' : '0');
  for (const r of s.sources) {
    lines.push(
      `${t} source=${r.source} records=${int(r.records)} records_per_s=${fixed(r.recordsPerSec)} lag_s=${fixed(r.lagSeconds, 0)} ` +
        `requests=${int(r.requests)} requests_per_s=${fixed(r.requestsPerSec, 2)} requests_429=${int(r.rateLimited)} requests_failed=${int(r.failedRequests)} ` +
        `commits=${int(r.commits)} up=${up(r.up)}`,
    );
  }
  for (const k of s.sinks) {
    lines.push(
      `${t} sink=${k.sink} events=${int(k.events)} events_per_s=${fixed(k.eventsPerSec)} bytes=${int(k.bytes)} bytes_per_s=${fixed(k.bytesPerSec, 0)} ` +
        `errors=${int(k.errors)} retries=${int(k.retries)} latency_avg_ms=${k.latencyAvgSeconds === null ? dash : (k.latencyAvgSeconds * 1000).toFixed(1)} ` +
        `buffer_events=${int(k.bufferEvents)} buffer_bytes=${int(k.bufferBytes)} buffer_max_bytes=${int(k.bufferMaxBytes)} buffer_fill_pct=${fixed(k.bufferFillPct)} ` +
        `dropped=${int(k.dropped)} up=${up(k.up)}`,
    );
  }
  lines.push(`${t} dead_letters total=${int(s.deadLettersTotal)}`);
  for (const d of s.deadLetters) lines.push(`${t} dead_letters component=${d.component} reason=${d.reason} count=${int(d.count)}`);
  for (const a of s.accounts) lines.push(`${t} account=${a.account} rate_limit_remaining=${int(a.rateLimitRemaining)}`);
  return lines;
}

export function humanBytes(n: number): string {
  if (!Number.isFinite(n)) return dash;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)}B` : `${v.toFixed(v >= 100 ? 0 : 1)}${units[i]}`;
}

export function humanCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : dash;
}

export function humanDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return dash;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

function rate(v: number | null, digits = 1): string {
  return v === null ? dash : v.toFixed(digits);
}

function bar(pct: number | null, width = 10): string {
  if (pct === null) return ' '.repeat(width + 2);
  const filled = Math.min(width, Math.max(0, Math.round((pct / 100) * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function table(header: string[], rows: string[][], alignLeft: number[] = [0]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (alignLeft.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

export interface ScreenInfo {
  url: string;
  intervalMs: number;
  error?: string;
}

/** The TTY screen as lines (the caller clips them to the terminal). */
export function renderScreen(s: TopSnapshot | undefined, info: ScreenInfo): string[] {
  const when = s ? new Date(s.time).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
  const lines = [`zsf top  ${info.url}  ${when}  every ${info.intervalMs / 1000}s  (q to quit)`];
  if (info.error) lines.push(`! ${info.error}`);
  if (!s) {
    lines.push('', 'waiting for the first scrape...');
    return lines;
  }
  const up = (v: boolean | null) => (v === null ? dash : v ? 'up' : 'DOWN');
  lines.push('');
  lines.push(
    ...table(
      ['SOURCE', 'RECORDS', 'REC/S', 'LAG', 'REQUESTS', 'REQ/S', '429s', 'FAILED', 'STATE'],
      s.sources.map((r) => [
        r.source,
        humanCount(r.records),
        rate(r.recordsPerSec),
        humanDuration(r.lagSeconds),
        humanCount(r.requests),
        rate(r.requestsPerSec, 2),
        r.rateLimitedDelta ? `${humanCount(r.rateLimited)} (+${humanCount(r.rateLimitedDelta)})` : humanCount(r.rateLimited),
        humanCount(r.failedRequests),
        up(r.up),
      ]),
    ),
  );
  lines.push('');
  lines.push(
    ...table(
      ['SINK', 'EVENTS', 'EV/S', 'BYTES/S', 'ERRORS', 'RETRIES', 'LATENCY', 'BUFFERED', 'FILL', '', 'DROPPED', 'STATE'],
      s.sinks.map((k) => [
        k.sink,
        humanCount(k.events),
        rate(k.eventsPerSec),
        k.bytesPerSec === null ? dash : `${humanBytes(k.bytesPerSec)}/s`,
        humanCount(k.errors),
        humanCount(k.retries),
        k.latencyAvgSeconds === null ? dash : `${(k.latencyAvgSeconds * 1000).toFixed(0)}ms`,
        `${humanCount(k.bufferEvents)} ev ${humanBytes(k.bufferBytes)}`,
        k.bufferFillPct === null ? dash : `${k.bufferFillPct.toFixed(1)}%`,
        bar(k.bufferFillPct),
        humanCount(k.dropped),
        up(k.up),
      ]),
      [0, 9],
    ),
  );
  const errs = s.sinks.flatMap((k) => Object.entries(k.errorsByReason).map(([reason, n]) => `${k.sink}/${reason}: ${humanCount(n)}`));
  if (errs.length) lines.push(`sink errors by reason: ${errs.join(', ')}`);
  lines.push('');
  lines.push(`DEAD LETTERS  total ${humanCount(s.deadLettersTotal)}`);
  if (s.deadLetters.length) {
    lines.push(
      ...table(
        ['  COMPONENT', 'REASON', 'COUNT', 'NEW'],
        s.deadLetters.map((d) => [`  ${d.component}`, d.reason, humanCount(d.count), d.delta === null ? dash : `+${humanCount(d.delta)}`]),
        [0, 1],
      ),
    );
  }
  if (s.accounts.length) {
    lines.push('');
    lines.push(`ZENDESK RATE LIMIT REMAINING  ${s.accounts.map((a) => `${a.account}: ${humanCount(a.rateLimitRemaining)}`).join('  ')}`);
  }
  return lines;
}

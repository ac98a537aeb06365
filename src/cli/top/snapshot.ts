// From two scrapes of /metrics to what `zsf top` shows: per source, per sink, dead letters
// and Zendesk rate-limit headroom. Rates are (current - previous) / elapsed seconds, with a
// counter that went down (process restarted) counted from zero, as Prometheus' rate() does.

import type { ParsedMetrics, Sample } from './prom-text.js';

export interface Scrape extends ParsedMetrics {
  /** Wall-clock time of the scrape (ms since epoch), for display. */
  time: number;
  /** Monotonic time of the scrape (ms), for rates. */
  mono: number;
}

export interface SourceRow {
  source: string;
  streams: string[];
  records: number;
  recordsPerSec: number | null;
  /** zsf_source_lag_seconds; null until the source has committed something. */
  lagSeconds: number | null;
  requests: number;
  requestsPerSec: number | null;
  /** Upstream answers with HTTP 429, total and in the last interval. */
  rateLimited: number;
  rateLimitedDelta: number | null;
  /** Requests that got no HTTP answer (code="error") or a 5xx. */
  failedRequests: number;
  commits: number;
  up: boolean | null;
}

export interface SinkRow {
  sink: string;
  events: number;
  eventsPerSec: number | null;
  bytes: number;
  bytesPerSec: number | null;
  errors: number;
  errorsPerSec: number | null;
  errorsByReason: Record<string, number>;
  retries: number;
  retriesPerSec: number | null;
  /** Mean duration of the requests finished during the interval. */
  latencyAvgSeconds: number | null;
  bufferEvents: number;
  bufferBytes: number;
  bufferMaxBytes: number;
  /** bufferBytes / bufferMaxBytes * 100; null when the bound is unknown. */
  bufferFillPct: number | null;
  dropped: number;
  up: boolean | null;
}

export interface DeadLetterRow {
  component: string;
  reason: string;
  count: number;
  delta: number | null;
}

export interface AccountRow {
  account: string;
  rateLimitRemaining: number;
}

export interface TopSnapshot {
  time: number;
  /** Seconds between the two scrapes the rates come from; null with a single scrape. */
  intervalSeconds: number | null;
  sources: SourceRow[];
  sinks: SinkRow[];
  deadLetters: DeadLetterRow[];
  deadLettersTotal: number;
  accounts: AccountRow[];
}

type Filter = Record<string, string>;

function matches(s: Sample, name: string, filter: Filter): boolean {
  if (s.name !== name) return false;
  for (const [k, v] of Object.entries(filter)) if (s.labels[k] !== v) return false;
  return true;
}

export function sumOf(m: ParsedMetrics, name: string, filter: Filter = {}, where?: (s: Sample) => boolean): number {
  let total = 0;
  for (const s of m.samples) if (matches(s, name, filter) && (!where || where(s)) && Number.isFinite(s.value)) total += s.value;
  return total;
}

function has(m: ParsedMetrics, name: string, filter: Filter): boolean {
  return m.samples.some((s) => matches(s, name, filter));
}

function labelValues(m: ParsedMetrics, names: string[], label: string, filter: Filter = {}): string[] {
  const out = new Set<string>();
  for (const s of m.samples) if (names.includes(s.name) && Object.entries(filter).every(([k, v]) => s.labels[k] === v) && s.labels[label] !== undefined) out.add(s.labels[label]);
  return [...out].sort();
}

/** Increase of a counter between two scrapes; a decrease means a restart, so the new value is the increase. */
export function increase(prev: number, cur: number): number {
  return cur >= prev ? cur - prev : cur;
}

export function computeSnapshot(prev: Scrape | undefined, cur: Scrape): TopSnapshot {
  const dt = prev ? (cur.mono - prev.mono) / 1000 : null;
  const usable = dt !== null && dt > 0;
  const delta = (name: string, filter: Filter = {}, where?: (s: Sample) => boolean): number | null =>
    usable && prev ? increase(sumOf(prev, name, filter, where), sumOf(cur, name, filter, where)) : null;
  const rate = (name: string, filter: Filter = {}, where?: (s: Sample) => boolean): number | null => {
    const d = delta(name, filter, where);
    return d === null ? null : d / dt!;
  };
  const up = (component: string, kind: string): boolean | null =>
    has(cur, 'zsf_component_up', { component, kind }) ? sumOf(cur, 'zsf_component_up', { component, kind }) >= 1 : null;

  const sourceIds = new Set([
    ...labelValues(cur, ['zsf_source_records_total', 'zsf_source_requests_total', 'zsf_source_lag_seconds', 'zsf_checkpoint_commits_total'], 'source'),
    ...labelValues(cur, ['zsf_component_up'], 'component', { kind: 'source' }),
  ]);
  const sources: SourceRow[] = [...sourceIds].sort().map((source) => {
    const f = { source };
    const is429 = (s: Sample) => s.labels.code === '429';
    const failed = (s: Sample) => s.labels.code === 'error' || /^5\d\d$/.test(s.labels.code ?? '');
    return {
      source,
      streams: labelValues(cur, ['zsf_source_records_total'], 'stream', f),
      records: sumOf(cur, 'zsf_source_records_total', f),
      recordsPerSec: rate('zsf_source_records_total', f),
      lagSeconds: has(cur, 'zsf_source_lag_seconds', f) ? sumOf(cur, 'zsf_source_lag_seconds', f) : null,
      requests: sumOf(cur, 'zsf_source_requests_total', f),
      requestsPerSec: rate('zsf_source_requests_total', f),
      rateLimited: sumOf(cur, 'zsf_source_requests_total', f, is429),
      rateLimitedDelta: delta('zsf_source_requests_total', f, is429),
      failedRequests: sumOf(cur, 'zsf_source_requests_total', f, failed),
      commits: sumOf(cur, 'zsf_checkpoint_commits_total', f),
      up: up(source, 'source'),
    };
  });

  const sinkIds = new Set([
    ...labelValues(
      cur,
      ['zsf_sink_events_sent_total', 'zsf_sink_bytes_sent_total', 'zsf_sink_errors_total', 'zsf_sink_retries_total', 'zsf_buffer_events', 'zsf_buffer_bytes', 'zsf_buffer_max_bytes', 'zsf_events_dropped_total', 'zsf_sink_request_seconds_count'],
      'sink',
    ),
    ...labelValues(cur, ['zsf_component_up'], 'component', { kind: 'sink' }),
  ]);
  const sinks: SinkRow[] = [...sinkIds].sort().map((sink) => {
    const f = { sink };
    const bufferBytes = sumOf(cur, 'zsf_buffer_bytes', f);
    const bufferMaxBytes = sumOf(cur, 'zsf_buffer_max_bytes', f);
    const errorsByReason: Record<string, number> = {};
    for (const s of cur.samples) if (matches(s, 'zsf_sink_errors_total', f)) errorsByReason[s.labels.reason ?? ''] = (errorsByReason[s.labels.reason ?? ''] ?? 0) + s.value;
    const dCount = delta('zsf_sink_request_seconds_count', f);
    const dSum = delta('zsf_sink_request_seconds_sum', f);
    return {
      sink,
      events: sumOf(cur, 'zsf_sink_events_sent_total', f),
      eventsPerSec: rate('zsf_sink_events_sent_total', f),
      bytes: sumOf(cur, 'zsf_sink_bytes_sent_total', f),
      bytesPerSec: rate('zsf_sink_bytes_sent_total', f),
      errors: sumOf(cur, 'zsf_sink_errors_total', f),
      errorsPerSec: rate('zsf_sink_errors_total', f),
      errorsByReason,
      retries: sumOf(cur, 'zsf_sink_retries_total', f),
      retriesPerSec: rate('zsf_sink_retries_total', f),
      latencyAvgSeconds: dCount && dSum !== null ? dSum / dCount : null,
      bufferEvents: sumOf(cur, 'zsf_buffer_events', f),
      bufferBytes,
      bufferMaxBytes,
      bufferFillPct: bufferMaxBytes > 0 ? (bufferBytes / bufferMaxBytes) * 100 : null,
      dropped: sumOf(cur, 'zsf_events_dropped_total', f),
      up: up(sink, 'sink'),
    };
  });

  const deadLetters: DeadLetterRow[] = cur.samples
    .filter((s) => s.name === 'zsf_dead_letters_total')
    .map((s) => {
      const f = { component: s.labels.component ?? '', reason: s.labels.reason ?? '' };
      return { ...f, count: s.value, delta: delta('zsf_dead_letters_total', f) };
    })
    .sort((a, b) => a.component.localeCompare(b.component) || a.reason.localeCompare(b.reason));

  const accounts: AccountRow[] = cur.samples
    .filter((s) => s.name === 'zsf_zendesk_rate_limit_remaining')
    .map((s) => ({ account: s.labels.account ?? '', rateLimitRemaining: s.value }))
    .sort((a, b) => a.account.localeCompare(b.account));

  return {
    time: cur.time,
    intervalSeconds: usable ? dt : null,
    sources,
    sinks,
    deadLetters,
    deadLettersTotal: deadLetters.reduce((a, d) => a + d.count, 0),
    accounts,
  };
}

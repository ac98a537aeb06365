// What flowed in one run, read from the pipeline's own metrics: per source records, requests
// and 429s; per sink events, bytes, retries and dead letters; the wall time. `zsf run --once`
// prints it on stderr (stdout carries the JSON log lines), `zsf demo` on stdout.

import type { Pipeline, PipelineResult } from '../app/start.js';

type Values = { labels: Record<string, string | number>; value: number }[];

export interface RunSummary {
  ok: boolean;
  wallSeconds: number;
  sources: { id: string; records: number; requests: number; rateLimited: number; deadLetters: number }[];
  sinks: { id: string; events: number; bytes: number; retries: number; deadLetters: number }[];
  failures: PipelineResult['failures'];
}

async function values(p: Pipeline, name: string): Promise<Values> {
  const m = await p.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []) as Values;
}

function sum(vals: Values, key: string, id: string, filter?: (l: Record<string, string | number>) => boolean): number {
  return vals.filter((v) => v.labels[key] === id && (!filter || filter(v.labels))).reduce((a, v) => a + v.value, 0);
}

export async function summarise(p: Pipeline, result: PipelineResult, wallMs: number): Promise<RunSummary> {
  const [records, requests, sent, bytes, retries, dead] = await Promise.all(
    ['zsf_source_records_total', 'zsf_source_requests_total', 'zsf_sink_events_sent_total', 'zsf_sink_bytes_sent_total', 'zsf_sink_retries_total', 'zsf_dead_letters_total'].map((n) => values(p, n)),
  );
  const { config } = p.loaded;
  return {
    ok: result.ok,
    wallSeconds: wallMs / 1000,
    sources: config.sources.map(({ id }) => ({
      id,
      records: sum(records!, 'source', id),
      requests: sum(requests!, 'source', id),
      rateLimited: sum(requests!, 'source', id, (l) => l.code === '429'),
      deadLetters: sum(dead!, 'component', id),
    })),
    sinks: config.sinks.map(({ id }) => ({
      id,
      events: sum(sent!, 'sink', id),
      bytes: sum(bytes!, 'sink', id),
      retries: sum(retries!, 'sink', id),
      deadLetters: sum(dead!, 'component', id),
    })),
    failures: result.failures,
  };
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatSummary(s: RunSummary): string[] {
  const width = Math.max(8, ...s.sources.map((x) => x.id.length), ...s.sinks.map((x) => x.id.length));
  const n = (v: number, w = 8) => v.toLocaleString('en-US').padStart(w);
  return [
    `${s.ok ? 'done' : 'FAILED'} in ${s.wallSeconds.toFixed(1)}s`,
    ...s.sources.map((x) => `  source ${x.id.padEnd(width)} ${n(x.records)} records  ${n(x.requests, 5)} requests  ${x.rateLimited} × 429  ${x.deadLetters} dead letters`),
    ...s.sinks.map((x) => `  sink   ${x.id.padEnd(width)} ${n(x.events)} events   ${bytesText(x.bytes).padStart(10)} sent  ${x.retries} retries  ${x.deadLetters} dead letters`),
    ...s.failures.map((f) => `  FAILED ${f.component}: ${f.reason}`),
  ];
}

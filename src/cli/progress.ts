// Backfill progress on a terminal: one line per source, redrawn in place every second, with
// records, requests/min, 429s and how far the committed checkpoint is behind now. Not on a
// TTY: nothing here (the sources log a progress line every 30 s instead).

import type { Pipeline } from '../app/start.js';

const BAR = 20;

function sumBy(values: { labels: Record<string, string | number>; value: number }[], key: string, id: string, filter?: (l: Record<string, string | number>) => boolean) {
  return values.filter((v) => v.labels[key] === id && (!filter || filter(v.labels))).reduce((a, v) => a + v.value, 0);
}

function human(secs: number): string {
  if (secs < 120) return `${Math.round(secs)}s`;
  if (secs < 7200) return `${Math.round(secs / 60)}m`;
  if (secs < 172_800) return `${(secs / 3600).toFixed(1)}h`;
  return `${(secs / 86_400).toFixed(1)}d`;
}

export function startProgress(p: Pipeline, out: NodeJS.WriteStream = process.stderr): () => Promise<void> {
  if (!out.isTTY) return async () => undefined;
  const sources = p.loaded.config.sources.map((s) => s.id);
  // The bar spans from where a source started (its startTime, default 24 h ago) to now.
  const startOf = new Map(p.loaded.config.sources.map((s) => [s.id, typeof s.startTime === 'string' ? Date.parse(s.startTime) : Date.now() - 86_400_000]));
  const lastRequests = new Map<string, { n: number; t: number }>();
  let drawn = 0;

  async function draw(): Promise<void> {
    const [records, requests, lag] = await Promise.all([p.metrics.sourceRecords.get(), p.metrics.sourceRequests.get(), p.metrics.sourceLag.get()]);
    const now = Date.now();
    const lines = sources.map((id) => {
      const n = sumBy(records.values, 'source', id);
      const reqs = sumBy(requests.values, 'source', id);
      const limited = sumBy(requests.values, 'source', id, (l) => l.code === '429');
      const prev = lastRequests.get(id);
      const perMin = prev && now > prev.t ? ((reqs - prev.n) * 60_000) / (now - prev.t) : 0;
      lastRequests.set(id, { n: reqs, t: now });
      const behind = lag.values.find((v) => v.labels.source === id)?.value;
      const start = startOf.get(id)!;
      const frac = behind === undefined ? 0 : Math.min(1, Math.max(0, (now - behind * 1000 - start) / Math.max(1, now - start)));
      const filled = Math.round(frac * BAR);
      const state = p.components.get(id)?.state ?? '';
      return `${id.padEnd(12).slice(0, 12)} ▕${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}▏ ${n.toLocaleString('en-US').padStart(10)} records  ${Math.round(perMin).toString().padStart(4)} req/min  ${limited} × 429  ${behind === undefined ? 'no checkpoint yet' : `${human(behind)} behind`}  ${state}`;
    });
    out.write((drawn ? `\x1b[${drawn}A` : '') + lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
    drawn = lines.length;
  }

  let drawing: Promise<void> = Promise.resolve();
  const tick = () => (drawing = drawing.then(draw).catch(() => undefined));
  const timer = setInterval(tick, 1000);
  timer.unref();
  // One last, complete picture before the caller prints anything else.
  return async () => {
    clearInterval(timer);
    await tick();
  };
}

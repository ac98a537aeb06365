// Pipeline core throughput: ~1 KB audit-log-like records from the generator through an
// identity transform into (a) a null sink and (b) the file sink behind a disk buffer,
// compared with plain JSON.parse + JSON.stringify of the same records, measured right before
// and right after each case.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { defineTransform } from '../src/core/plugin.js';
import { startPipeline } from '../src/app/start.js';
import { generateRecord } from '../src/sources/generator.js';
import { transformPlugins } from '../transforms/index.js';
import { rawJsonRate, withPeakRss, type BenchRow } from './lib.js';

const COUNT = Number(process.env.ZSF_BENCH_CORE_EVENTS ?? 200_000);

if (!transformPlugins.some((p) => p.type === 'bench_identity')) {
  transformPlugins.push(defineTransform({ type: 'bench_identity', description: 'identity', options: {}, create: () => (e) => e }));
}

async function run(sink: Record<string, unknown>, dataDir: string): Promise<{ secs: number; peakRssMb: number }> {
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const { result: secs, peakRssMb } = await withPeakRss(async () => {
    const start = performance.now();
    const p = await startPipeline(
      {
        dataDir,
        api: { enabled: false },
        log: { level: 'warn' },
        sources: [{ id: 'gen', type: 'generator', count: COUNT, batchSize: 500 }],
        transforms: [{ id: 'id', type: 'bench_identity', inputs: ['gen'] }],
        sinks: [{ id: 'out', inputs: ['id'], ...sink }],
      },
      { once: true, logDestination: quiet },
    );
    const r = await p.done;
    if (!r.ok) throw new Error(JSON.stringify(r.failures));
    return (performance.now() - start) / 1000;
  });
  return { secs, peakRssMb };
}

export default async function (): Promise<BenchRow[]> {
  const sample = Array.from({ length: 5000 }, (_, i) => JSON.stringify(generateRecord(i, 'bench', 'audit_log', Date.parse('2026-01-01T00:00:00Z'), 1).raw));
  const avgBytes = sample.reduce((a, s) => a + Buffer.byteLength(s), 0) / sample.length;
  const raw = rawJsonRate(sample, 1500);
  const rows: BenchRow[] = [{ name: `raw JSON.parse+stringify (${avgBytes.toFixed(0)} B records)`, eventsPerSec: raw, mbPerSec: (raw * avgBytes) / 1e6 }];
  for (const [name, sink] of [
    ['generator → identity → null sink (memory buffer)', { type: 'null' }],
    ['generator → identity → file sink (disk buffer, fsync)', { type: 'file', path: 'out.ndjson', buffer: { type: 'disk', maxBytes: '256MiB' } }],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'zsf-bench-'));
    const s = 'path' in sink ? { ...sink, path: join(dir, 'out.ndjson') } : sink;
    // The yardstick right before and right after the case, averaged: a busy or quiet moment of
    // the machine moves both.
    const before = rawJsonRate(sample, 1000);
    const { secs, peakRssMb } = await run(s, dir);
    const yardstick = (before + rawJsonRate(sample, 1000)) / 2;
    const eps = COUNT / secs;
    const note = 'path' in sink ? `${(statSync(join(dir, 'out.ndjson')).size / 1e6).toFixed(0)} MB written` : `${COUNT} events`;
    rows.push({ name, eventsPerSec: eps, mbPerSec: (eps * avgBytes) / 1e6, peakRssMb, ratio: eps / yardstick, ratioTo: `raw JSON ${Math.round(yardstick).toLocaleString('en-US')}/s around it`, note });
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// One in-process backfill for the source benches: the given Zendesk sources against a running
// simulator, one account, a null sink, `--once`; returns the time, the records read and the
// peak RSS of this process. The simulator and the figures drawn from its request log stay with
// each bench (they measure different things).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startPipeline } from '../src/app/start.js';
import { DEMO_CREDENTIALS } from '../src/simulator/index.js';
import { withPeakRss } from './lib.js';

export interface InProcessBackfill {
  secs: number;
  records: number;
  peakRssMb: number;
}

export async function backfillInProcess(
  simUrl: string,
  sources: Record<string, unknown>[],
  account: { requestsPerMinute: number; rateWindow?: number },
): Promise<InProcessBackfill> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zsf-bench-backfill-'));
  try {
    const t0 = performance.now();
    const { result, peakRssMb } = await withPeakRss(async () => {
      const p = await startPipeline(
        {
          dataDir,
          api: { enabled: false },
          log: { level: 'warn' },
          zendesk: { accounts: [{ name: 'sim', baseUrl: simUrl, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token }, ...account }] },
          sources,
          sinks: [{ id: 'null', type: 'null', inputs: sources.map((s) => s.id as string), buffer: { type: 'memory', maxEvents: 20_000, maxBytes: '256MiB' } }],
        },
        { once: true, logDestination: new Writable({ write: (_c, _e, cb) => cb() }) },
      );
      const r = await p.done;
      if (!r.ok) throw new Error(JSON.stringify(r.failures));
      return p;
    });
    const secs = (performance.now() - t0) / 1000;
    const records = (await result.metrics.sourceRecords.get()).values.reduce((a, v) => a + v.value, 0);
    return { secs, records, peakRssMb };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

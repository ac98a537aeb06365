// SOC sinks throughput: OCSF events (generator records through the ocsf transform) into the
// Splunk HEC and Datadog Logs protocol receivers on loopback, gzip on, compared with plain
// JSON.parse + JSON.stringify of the same event bodies.
//
// Rows "driver": batches cut like the core does (max events / max body bytes) and sent by
// the sink driver with the sink's default concurrency. Rows "pipeline": generator -> ocsf ->
// sink through startPipeline (memory buffer, --once). The receivers (gunzip + JSON parse +
// validation) run in this same process, so the figures are a lower bound for the sinks.
//
// ZSF_BENCH_SOC_EVENTS (default 30000) sets the event count.

import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { startPipeline } from '../src/app/start.js';
import type { SinkPlugin } from '../src/core/plugin.js';
import { type PipelineEvent } from '../src/core/types.js';
import { datadogOptions } from '../src/sinks/datadog/config.js';
import { datadogLogsSink } from '../src/sinks/datadog/index.js';
import { loadDatadogClient } from '../src/sinks/datadog/driver.js';
import { hecOptions } from '../src/sinks/splunk-hec/config.js';
import { splunkHecSink } from '../src/sinks/splunk-hec/index.js';
import { startDatadogReceiver } from '../test/receivers/datadog.js';
import { startHecReceiver } from '../test/receivers/hec.js';
import { rawJsonRate, withPeakRss, type BenchRow } from './lib.js';
import { batches, benchEnv, drive, ocsfEvent } from './sink-harness.js';
import { commonSinkOptions } from '../test/support/sink-options.js';

const COUNT = Number(process.env.ZSF_BENCH_SOC_EVENTS ?? 30_000);
const TOKEN = 'bench-hec-token';
const KEY = 'bench-dd-api-key';
const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

function env(id: string) {
  return benchEnv(id, [TOKEN, KEY]);
}

function ocsfEvents(n: number): PipelineEvent[] {
  const out: PipelineEvent[] = [];
  for (let i = 0; i < n; i++) out.push(...ocsfEvent(i));
  return out;
}

async function driverRow(
  name: string,
  plugin: SinkPlugin,
  options: Record<string, unknown>,
  shape: z.ZodRawShape,
  events: PipelineEvent[],
  bodyBytes: number,
  raw: number,
  received: () => number,
  concurrency = plugin.defaults.concurrency,
): Promise<BenchRow> {
  const parsed = z.strictObject(shape).parse(options);
  const e = env('bench');
  const wire = async () => (await e.metrics.sinkBytesSent.get()).values.reduce((a, v) => a + v.value, 0);
  const driver = plugin.create({ ...parsed, ...commonSinkOptions(plugin, { requestTimeout: 60_000 }), id: 'bench', type: plugin.type, inputs: ['x'] } as never, e);
  const work = batches(events, plugin.defaults.maxEvents, plugin.defaults.maxBytes);
  // warm-up: connections, JIT, the Datadog client's lazy load
  await drive(driver, work.slice(0, 2), 1);
  const before = received();
  const wireBefore = await wire();
  const { result: secs, peakRssMb } = await withPeakRss(async () => {
    const t = performance.now();
    await drive(driver, work, concurrency);
    return (performance.now() - t) / 1000;
  });
  await driver.close?.();
  const got = received() - before;
  if (got !== events.length) throw new Error(`${name}: receiver got ${got} of ${events.length}`);
  const eps = events.length / secs;
  const ratio = bodyBytes / ((await wire()) - wireBefore);
  return {
    name,
    eventsPerSec: eps,
    mbPerSec: (eps * bodyBytes) / events.length / 1e6,
    peakRssMb,
    ratio: eps / raw,
    ratioTo: 'raw JSON',
    note: `${work.length} requests, concurrency ${concurrency}, gzip ${ratio.toFixed(1)}:1 on the wire`,
  };
}

async function pipelineRow(name: string, sink: Record<string, unknown>, count: number, raw: number, avgBytes: number, received: () => number): Promise<BenchRow> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zsf-bench-soc-'));
  const before = received();
  const { result: secs, peakRssMb } = await withPeakRss(async () => {
    const t = performance.now();
    const p = await startPipeline(
      {
        dataDir,
        api: { enabled: false },
        log: { level: 'warn' },
        sources: [{ id: 'gen', type: 'generator', account: 'acme', count, batchSize: 500, seed: 42 }],
        transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['gen'] }],
        sinks: [{ id: 'out', inputs: ['ocsf'], healthcheck: { enabled: false }, ...sink }],
      },
      { once: true, logDestination: quiet() },
    );
    const r = await p.done;
    if (!r.ok) throw new Error(JSON.stringify(r.failures));
    return (performance.now() - t) / 1000;
  });
  rmSync(dataDir, { recursive: true, force: true });
  const got = received() - before;
  if (got < count) throw new Error(`${name}: receiver got ${got} of ${count}`);
  const eps = count / secs;
  return { name, eventsPerSec: eps, mbPerSec: (eps * avgBytes) / 1e6, peakRssMb, ratio: eps / raw, ratioTo: 'raw JSON', note: `${count} events, memory buffer` };
}

export default async function (): Promise<BenchRow[]> {
  await loadDatadogClient();
  const events = ocsfEvents(COUNT);
  const serialised = events.map((e) => JSON.stringify(e.body));
  const bodyBytes = serialised.reduce((a, s) => a + Buffer.byteLength(s), 0);
  const avgBytes = bodyBytes / events.length;
  const raw = rawJsonRate(serialised.slice(0, 5000), 1500);
  const rows: BenchRow[] = [{ name: `raw JSON.parse+stringify (OCSF events, ${avgBytes.toFixed(0)} B avg)`, eventsPerSec: raw, mbPerSec: (raw * avgBytes) / 1e6 }];

  const hec = await startHecReceiver({ tokens: [TOKEN], record: false });
  const hecAck = await startHecReceiver({ tokens: [TOKEN], record: false, ackEnabled: true });
  const dd = await startDatadogReceiver({ apiKeys: [KEY], record: false });
  try {
    rows.push(
      await driverRow('splunk_hec driver → HEC receiver (gzip 6)', splunkHecSink, { endpoint: hec.url, token: TOKEN }, hecOptions, events, bodyBytes, raw, () => hec.indexedCount),
    );
    rows.push(
      await driverRow(
        'splunk_hec driver, indexer acks (poll 50 ms) → HEC receiver',
        splunkHecSink,
        { endpoint: hecAck.url, token: TOKEN, acknowledgements: { enabled: true, queryInterval: 50, timeout: 30_000 } },
        hecOptions,
        events,
        bodyBytes,
        raw,
        () => hecAck.indexedCount,
        16,
      ),
    );
    rows.push(
      await driverRow('datadog_logs driver (official client on undici) → Datadog receiver (gzip 6)', datadogLogsSink, { endpoint: dd.url, apiKey: KEY }, datadogOptions, events, bodyBytes, raw, () => dd.logCount),
    );
    const pipeCount = Math.min(COUNT, 30_000);
    rows.push(await pipelineRow('pipeline: generator → ocsf → splunk_hec', { type: 'splunk_hec', endpoint: hec.url, token: TOKEN }, pipeCount, raw, avgBytes, () => hec.indexedCount));
    rows.push(await pipelineRow('pipeline: generator → ocsf → datadog_logs', { type: 'datadog_logs', endpoint: dd.url, apiKey: KEY }, pipeCount, raw, avgBytes, () => dd.logCount));
  } finally {
    await hec.close();
    await hecAck.close();
    await dd.close();
  }
  return rows;
}

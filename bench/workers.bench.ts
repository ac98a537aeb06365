// Would a worker pool pay? (issue 13 item 4; the result is written up in docs/performance.md.)
// OCSF mapping plus serialisation of ZSF_BENCH_WORKER_RECORDS simulator records (default 100k;
// 40 % audit, 50 % access, 10 % ticket events), starting from the Zendesk pages' JSON text as
// the HTTP client receives it, ending with every event's JSON text in page order:
//
//   main           JSON.parse page, map, JSON.stringify each event: all on the main thread
//   N workers, records in     the main thread parses the page and posts the records (structured
//                             clone); a worker maps and stringifies and posts the texts back
//   N workers, page text in   the main thread posts the page text; the worker parses, maps and
//                             stringifies (the least the main thread can do short of moving
//                             the HTTP client into the worker)
//   N workers, objects out    records in, mapped objects back (what the pipeline would need
//                             if transforms after the mapper stay on the main thread)
//
// Every variant is timed wall-clock, transfer included, ZSF_BENCH_WORKER_ROUNDS times
// alternating (median). The workers load the built dist/ mapper, as the product would.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { sectionDefault, type BuildEnv } from '../src/core/plugin.js';
import { recordToEvent, type PipelineEvent, type Stream } from '../src/core/types.js';
import { startSimulator } from '../src/simulator/index.js';
import { ocsfTransform } from '../transforms/ocsf/index.js';
import { schemaOptions } from '../transforms/schema-transform.js';
import { BUILT_CLI, ensureBuilt, median, QUICK, type BenchRow } from './lib.js';

const RECORDS = Number(process.env.ZSF_BENCH_WORKER_RECORDS ?? 100_000);
const ROUNDS = Number(process.env.ZSF_BENCH_WORKER_ROUNDS ?? (QUICK ? 1 : 3));

interface Page {
  stream: Stream;
  text: string;
}

const OPTIONS = { id: 'ocsf', type: 'ocsf', inputs: ['bench'], ...z.strictObject(schemaOptions).parse({}) };

const WORKER = `
import { parentPort, workerData } from 'node:worker_threads';
const { ocsfTransform } = await import(workerData.ocsf);
const { recordToEvent } = await import(workerData.types);
const map = ocsfTransform.create(workerData.options, { section: (s) => s.schema.parse(undefined) });
parentPort.on('message', (m) => {
  const records = m.text !== undefined ? JSON.parse(m.text).records : m.records;
  const out = [];
  for (const raw of records) {
    const r = map(recordToEvent({ account: 'sim', stream: m.stream, id: String(raw.id), time: 0, raw }));
    for (const e of Array.isArray(r) ? r : r ? [r] : []) out.push(m.objects ? e.body : JSON.stringify(e.body));
  }
  parentPort.postMessage({ seq: m.seq, out });
});
`;

function mapOnMain(pages: Page[]): number {
  const map = ocsfTransform.create(OPTIONS as never, { section: sectionDefault } as unknown as BuildEnv);
  let n = 0;
  const out: string[][] = [];
  for (const p of pages) {
    const texts: string[] = [];
    for (const raw of (JSON.parse(p.text) as { records: Record<string, unknown>[] }).records) {
      const r = map(recordToEvent({ account: 'sim', stream: p.stream, id: String(raw.id), time: 0, raw })) as PipelineEvent | PipelineEvent[] | null;
      for (const e of Array.isArray(r) ? r : r ? [r] : []) texts.push(JSON.stringify(e.body));
    }
    n += texts.length;
    out.push(texts);
  }
  return n;
}

type Mode = 'records' | 'text' | 'objects';

async function startPool(size: number, workerFile: string): Promise<Worker[]> {
  const dist = new URL('../../', pathToFileURL(BUILT_CLI)); // dist/src/cli/main.js -> dist/
  const workerData = { ocsf: new URL('transforms/ocsf/index.js', dist).href, types: new URL('src/core/types.js', dist).href, options: OPTIONS };
  const workers = Array.from({ length: size }, () => new Worker(workerFile, { workerData }));
  // A first message each, so that module loading is not timed.
  await Promise.all(workers.map((w) => new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage({ seq: -1, stream: 'audit_log', records: [] });
  })));
  return workers;
}

/** Pages round-robin over the pool, at most 2 in flight per worker; results kept in page order. */
async function mapInPool(workers: Worker[], pages: Page[], mode: Mode): Promise<number> {
  const results: unknown[][] = new Array(pages.length);
  let next = 0;
  let n = 0;
  await Promise.all(
    workers.flatMap((w) =>
      [0, 1].map(async () => {
        while (next < pages.length) {
          const seq = next++;
          const p = pages[seq]!;
          const msg = mode === 'text' ? { seq, stream: p.stream, text: p.text } : { seq, stream: p.stream, records: (JSON.parse(p.text) as { records: unknown[] }).records, objects: mode === 'objects' };
          const reply = await new Promise<{ seq: number; out: unknown[] }>((resolve) => {
            const onMessage = (m: { seq: number; out: unknown[] }) => {
              if (m.seq !== seq) return;
              w.off('message', onMessage);
              resolve(m);
            };
            w.on('message', onMessage);
            w.postMessage(msg);
          });
          results[seq] = reply.out;
          n += reply.out.length;
        }
      }),
    ),
  );
  return n;
}

export default async function (): Promise<BenchRow[]> {
  ensureBuilt();
  const m = { auditLogs: Math.round(RECORDS * 0.4), accessLogs: Math.round(RECORDS * 0.5), ticketEvents: Math.round(RECORDS * 0.1) };
  const sim = await startSimulator({ seed: 5, data: { ...m, endTime: Date.now() - 600_000 } });
  const pages: Page[] = [];
  // Zendesk's page sizes: audit logs 100, access logs 2500 (as the e2e bench configures), ticket events 1000.
  for (const [stream, name, size] of [['audit_log', 'audit_logs', 100], ['access_log', 'access_logs', 2500], ['ticket_audit', 'ticket_events', 1000]] as const) {
    const records = sim.records(name);
    for (let i = 0; i < records.length; i += size) pages.push({ stream, text: JSON.stringify({ records: records.slice(i, i + size) }) });
  }
  await sim.close();
  const dir = mkdtempSync(join(tmpdir(), 'zsf-bench-workers-'));
  const workerFile = join(dir, 'worker.mjs');
  writeFileSync(workerFile, WORKER);
  const cores = availableParallelism();
  const variants: { name: string; run: () => Promise<number>; close?: () => Promise<unknown> }[] = [{ name: 'main thread: parse, map, stringify', run: async () => mapOnMain(pages) }];
  for (const [size, mode] of [[1, 'text'], [2, 'records'], [2, 'text'], [2, 'objects']] as const) {
    const pool = await startPool(size, workerFile);
    variants.push({
      name: `${size} worker${size > 1 ? 's' : ''}, ${mode === 'text' ? 'page text in, JSON texts out' : mode === 'records' ? 'records in (structured clone), JSON texts out' : 'records in, mapped objects out (structured clone both ways)'}`,
      run: () => mapInPool(pool, pages, mode),
      close: () => Promise.all(pool.map((w) => w.terminate())),
    });
  }
  const times = variants.map(() => [] as number[]);
  const elu = variants.map(() => [] as number[]);
  let events = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, v] of variants.entries()) {
        const e0 = performance.eventLoopUtilization();
        const t0 = performance.now();
        events = await v.run();
        times[i]!.push(performance.now() - t0);
        elu[i]!.push(performance.eventLoopUtilization(e0).utilization);
      }
    }
  } finally {
    await Promise.all(variants.map((v) => v.close?.()));
    rmSync(dir, { recursive: true, force: true });
  }
  const base = median(times[0]!);
  return variants.map((v, i) => {
    const ms = median(times[i]!);
    return {
      name: `${RECORDS.toLocaleString('en-US')} records → OCSF JSON, ${v.name}`,
      eventsPerSec: (events / ms) * 1000,
      ratio: base / ms,
      ratioTo: 'main thread (speed-up)',
      note: `${ms.toFixed(0)} ms, median of ${ROUNDS}; main thread busy ${(median(elu[i]!) * 100).toFixed(0)} % of the time; ${cores} CPUs`,
    };
  });
}

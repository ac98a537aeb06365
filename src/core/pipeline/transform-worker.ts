// The worker side of the transform pool (transform-pool.ts): rebuilds each offloaded transform
// from its recipe, parses records out of the page texts it is sent, runs the transform, and
// answers with each output's meta and JSON text. Requests are served one at a time, in order.

import { parentPort, workerData } from 'node:worker_threads';
import { tryStringify } from '../record-limits.js';
import { describeError } from '../retry.js';
import type { PipelineEvent, Transform } from '../types.js';
import { PageCache, type ItemResult, type WorkerOutput, type WorkerReply, type WorkerRequest, type WorkerSetup } from './transform-pool.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const pages = new PageCache(setup.pageCacheChars, true);
const instances = new Map<string, Transform>();
/** The page parsed last in this request: its records are usually all from one page. */
let parsed: { id: number; items: unknown[] } | undefined;

async function transformOf(id: string): Promise<Transform> {
  const known = instances.get(id);
  if (known) return known;
  const recipe = setup.recipes[id];
  if (!recipe) throw new Error(`no worker recipe for transform "${id}"`);
  const mod = (await import(recipe.module)) as { createWorkerTransform(options: unknown): Transform };
  const fn = mod.createWorkerTransform(recipe.options);
  instances.set(id, fn);
  return fn;
}

function recordAt(pageId: number, index: number): Record<string, unknown> {
  if (parsed?.id !== pageId) {
    const page = pages.get(pageId);
    if (!page) throw new Error(`page ${pageId} is not held by this worker`);
    parsed = undefined; // the previous page is garbage before the next one is parsed
    const items = (JSON.parse(page.text) as Record<string, unknown>)[page.listKey];
    if (!Array.isArray(items)) throw new Error(`page ${pageId} has no "${page.listKey}" array`);
    parsed = { id: pageId, items };
  }
  return parsed.items[index] as Record<string, unknown>;
}

function output(x: PipelineEvent): WorkerOutput {
  const s = tryStringify(x.body);
  if ('json' in s) return { meta: x.meta, json: s.json, bytes: Buffer.byteLength(s.json) };
  let body: unknown;
  try {
    body = structuredClone(x.body);
  } catch {
    body = { unclonable: true };
  }
  return { meta: x.meta, error: s.error, body };
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  for (const p of req.pages) pages.add(p);
  const used = new Set<number>();
  for (const item of req.items) if (item.page) used.add(item.page[0]);
  pages.evict(used);
  const fn = await transformOf(req.transform);
  const results: ItemResult[] = [];
  for (const item of req.items) {
    const body = item.body ?? recordAt(item.page![0], item.page![1]);
    let r: PipelineEvent | PipelineEvent[] | null | undefined;
    try {
      const v = fn({ meta: item.meta, body });
      r = v && typeof (v as Promise<unknown>).then === 'function' ? await v : (v as PipelineEvent | PipelineEvent[] | null | undefined);
    } catch (err) {
      results.push({ failed: describeError(err) });
      continue;
    }
    results.push({ out: r == null ? [] : Array.isArray(r) ? r.map(output) : [output(r)] });
  }
  parsed = undefined; // the source's next batch is the next page: keep no parsed page between requests
  return { seq: req.seq, results };
}

let queue: Promise<unknown> = Promise.resolve();
port.on('message', (req: WorkerRequest) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      reply = await handle(req);
    } catch (err) {
      reply = { seq: req.seq, error: describeError(err) };
    }
    port.postMessage(reply);
  });
});

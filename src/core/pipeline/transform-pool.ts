// Transform worker pool: runs the transforms whose plugin offers a worker recipe (ocsf, ecs) on
// worker threads, so that mapping and the event's one serialisation use another core. Records
// that came in a page cross as the page's text (sent once per worker, parsed there) plus an
// index, never as copied objects: cloning records costs the main thread about as much as
// mapping them (docs/performance.md, "Worker pool"). What comes back is each output's meta and
// JSON text, the form sink buffers hold anyway.
//
// Order and state: every (transform, account) pair is served by one worker, chosen on first
// sight, so enrichment state (sign-in IPs, deletion counts, webhook twins; all per account)
// lives in one place, and a worker answers requests in the order they were sent.

import { Worker } from 'node:worker_threads';
import type { EventMeta, PageText, PipelineEvent } from '../types.js';

/** How a plugin's transform is rebuilt in a worker: a module exporting `createWorkerTransform(options)`, and structured-cloneable options. */
export interface WorkerRecipe {
  module: string;
  options: unknown;
}

/** One output event: its JSON text and UTF-8 length, or why it has none (the mapped body then comes back as a clone, for the dead letter). */
export type WorkerOutput = { meta: EventMeta; json: string; bytes: number } | { meta: EventMeta; error: string; body: unknown };

/** What became of one input event: its outputs (none when the transform dropped it), or the transform's error. */
export type ItemResult = { out: WorkerOutput[] } | { failed: string };

/** An input event: its body by place in a page the worker holds, or as a clone. */
export interface WorkerItem {
  meta: EventMeta;
  page?: [pageId: number, index: number];
  body?: Record<string, unknown>;
}

export interface WorkerRequest {
  seq: number;
  transform: string;
  /** Pages this request needs that the worker does not hold yet. */
  pages: PageText[];
  items: WorkerItem[];
}

export type WorkerReply = { seq: number; results: ItemResult[] } | { seq: number; error: string };

export interface WorkerSetup {
  recipes: Record<string, WorkerRecipe>;
  pageCacheChars: number;
}

export interface TransformPool {
  /** Whether `transform` runs in the pool. */
  offloads(transform: string): boolean;
  /**
   * Runs `events` through `transform` in its workers; results are aligned with `events`.
   * `usePages`: the events are records straight from a source, so their page slots are the
   * records as received (a transform upstream may have changed a body; those cross as clones).
   * Rejects when its worker fails (the next batch starts a fresh one) or the pool is closed;
   * the batch is then not sealed.
   */
  run(transform: string, events: PipelineEvent[], usePages: boolean): Promise<ItemResult[]>;
  close(): Promise<void>;
}

/**
 * Page texts a worker holds: first in, first out, within `maxChars` (at least the newest
 * request's pages). The main thread keeps the same bookkeeping without the texts (`keepText`
 * false) to know what a worker holds.
 */
export class PageCache {
  private readonly pages = new Map<number, { chars: number; page?: PageText }>();
  private chars = 0;
  constructor(
    private readonly maxChars: number,
    private readonly keepText: boolean,
  ) {}
  has(id: number): boolean {
    return this.pages.has(id);
  }
  get(id: number): PageText | undefined {
    return this.pages.get(id)?.page;
  }
  add(p: PageText): void {
    if (this.pages.has(p.id)) return;
    this.pages.set(p.id, this.keepText ? { chars: p.text.length, page: p } : { chars: p.text.length });
    this.chars += p.text.length;
  }
  /** Drops the oldest pages beyond the bound, never those of `keep` (the request in hand). Main and worker call it at the same point, so their views stay equal. */
  evict(keep: ReadonlySet<number>): void {
    for (const [id, p] of this.pages) {
      if (this.chars <= this.maxChars) return;
      if (keep.has(id)) continue;
      this.pages.delete(id);
      this.chars -= p.chars;
    }
  }
}

interface PoolWorker {
  worker: Worker;
  /** Which pages the worker holds (ids and sizes only): it applies the same adds and evictions in the same order. */
  pages: PageCache;
  pending: Map<number, { resolve(r: ItemResult[]): void; reject(e: Error): void }>;
  failed?: Error;
}

export interface TransformPoolOptions {
  size: number;
  recipes: ReadonlyMap<string, WorkerRecipe>;
  /** Page text a worker keeps for records still to come (default 8 Mi characters). */
  pageCacheChars?: number;
  /** Called once per worker that fails (crash, exit, a request it cannot serve). */
  onFailure(error: Error): void;
  /** Called when a worker started after a failure has answered a batch. */
  onRecovered?(): void;
}

const DEFAULT_PAGE_CACHE_CHARS = 8 * 1024 * 1024;

/**
 * A worker's V8 heap. Young generation small, like the main thread's in the image
 * (--max-semi-space-size=4): what it maps is garbage at once. Old generation capped, because a
 * worker otherwise sizes its heap from the machine's memory, not the container's, but high
 * enough for one hostile page (records up to limits.maxRecordBytes each) parsed at once.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 12, maxOldGenerationSizeMb: 256 };

/**
 * Starts a worker on the built entry; run from the TypeScript sources (tsx, vitest), on the
 * .ts entry through a development bootstrap that registers tsx's loader in the worker.
 */
function spawn(setup: WorkerSetup): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('./transform-worker.ts', here).href;
    return new Worker(new URL('../../../scripts/ts-worker-boot.mjs', here), { workerData: { ...setup, entry }, resourceLimits: WORKER_LIMITS });
  }
  return new Worker(new URL('./transform-worker.js', here), { workerData: setup, resourceLimits: WORKER_LIMITS });
}

export function createTransformPool(o: TransformPoolOptions): TransformPool {
  const setup: WorkerSetup = { recipes: Object.fromEntries(o.recipes), pageCacheChars: o.pageCacheChars ?? DEFAULT_PAGE_CACHE_CHARS };
  const workers: (PoolWorker | undefined)[] = new Array<PoolWorker | undefined>(o.size).fill(undefined);
  const assigned = new Map<string, number>();
  let nextWorker = 0;
  let seq = 0;
  let closed = false;

  /** A failure since the last batch answered: the next answer reports the recovery. */
  let failing = false;

  // A failed worker's batches in flight are rejected (their sources restart from their
  // checkpoints, as after a crash of the process) and its slot is emptied: the next batch for
  // it starts a fresh worker, with fresh enrichment state, as a restarted process would.
  const fail = (w: PoolWorker, i: number, error: Error) => {
    if (w.failed) return;
    w.failed = error;
    for (const p of w.pending.values()) p.reject(error);
    w.pending.clear();
    if (workers[i] === w) workers[i] = undefined;
    void w.worker.terminate();
    failing = true;
    o.onFailure(error);
  };

  const start = (i: number): PoolWorker => {
    const w: PoolWorker = { worker: spawn(setup), pages: new PageCache(setup.pageCacheChars, false), pending: new Map() };
    w.worker.unref(); // never what keeps the process alive; close() ends it
    w.worker.on('message', (reply: WorkerReply) => {
      const p = w.pending.get(reply.seq);
      if (!p) return;
      w.pending.delete(reply.seq);
      if ('error' in reply) {
        const error = new Error(`transform worker ${i} failed: ${reply.error}`);
        p.reject(error);
        fail(w, i, error);
      } else {
        if (failing) {
          failing = false;
          o.onRecovered?.();
        }
        p.resolve(reply.results);
      }
    });
    w.worker.on('error', (err) => fail(w, i, new Error(`transform worker ${i} crashed: ${err.message}`)));
    w.worker.on('exit', (code) => {
      if (!closed) fail(w, i, new Error(`transform worker ${i} exited (code ${code})`));
    });
    workers[i] = w;
    return w;
  };

  const workerFor = (transform: string, account: string): PoolWorker => {
    const key = `${transform}\0${account}`;
    let i = assigned.get(key);
    if (i === undefined) {
      i = nextWorker++ % o.size;
      assigned.set(key, i);
    }
    return workers[i] ?? start(i);
  };

  const send = (w: PoolWorker, transform: string, part: PipelineEvent[], usePages: boolean): Promise<ItemResult[]> => {
    if (closed) return Promise.reject(new Error('the transform pool is closed'));
    if (w.failed) return Promise.reject(w.failed);
    const pages: PageText[] = [];
    const used = new Set<number>();
    const items = part.map((e): WorkerItem => {
      const slot = usePages ? e.page : undefined;
      if (!slot) return { meta: e.meta, body: e.body };
      if (!w.pages.has(slot.page.id)) {
        w.pages.add(slot.page);
        pages.push(slot.page);
      }
      used.add(slot.page.id);
      return { meta: e.meta, page: [slot.page.id, slot.index] };
    });
    w.pages.evict(used);
    const request: WorkerRequest = { seq: ++seq, transform, pages, items };
    return new Promise<ItemResult[]>((resolve, reject) => {
      w.pending.set(request.seq, { resolve, reject });
      w.worker.postMessage(request);
    });
  };

  return {
    offloads: (transform) => o.recipes.has(transform),
    async run(transform, events, usePages) {
      if (events.length === 0) return [];
      // Usually one account per batch (a source reads one account): one request.
      const account = events[0]!.meta.account;
      if (events.every((e) => e.meta.account === account)) return send(workerFor(transform, account), transform, events, usePages);
      const groups = new Map<PoolWorker, number[]>();
      events.forEach((e, i) => {
        const w = workerFor(transform, e.meta.account);
        const g = groups.get(w);
        if (g) g.push(i);
        else groups.set(w, [i]);
      });
      const results = new Array<ItemResult>(events.length);
      await Promise.all(
        [...groups].map(async ([w, idx]) => {
          const r = await send(w, transform, idx.map((i) => events[i]!), usePages);
          idx.forEach((i, k) => (results[i] = r[k]!));
        }),
      );
      return results;
    },
    async close() {
      closed = true;
      const error = new Error('the transform pool is closed');
      await Promise.all(
        workers.map(async (w) => {
          if (!w) return;
          for (const p of w.pending.values()) p.reject(error);
          w.pending.clear();
          await w.worker.terminate();
        }),
      );
    },
  };
}

// Router and fan-out: runs events through transforms (applyTransform), hands them to every
// downstream transform and sink buffer at once (route), re-enters dead letters for a replay
// (inject), and turns a source batch into events within the record limits (admitRecords).

import type { Metrics } from '../../observability/metrics.js';
import type { BatchHandle } from '../acks.js';
import type { BufferEntry } from '../buffers/buffer.js';
import { checkRecordLimits, truncatedPreview, tryStringify, type RecordLimits } from '../record-limits.js';
import { describeError } from '../retry.js';
import { recordToEvent, sinkEvent, toSinkEvent, type ComponentContext, type PipelineEvent, type SinkEvent, type SourceRecord } from '../types.js';
import type { SinkInstance, TransformInstance } from './graph.js';
import type { TransformPool } from './transform-pool.js';
import type { InjectFn, PipelineGraph } from './types.js';

export interface Router {
  applyTransform(id: string, events: PipelineEvent[]): Promise<PipelineEvent[]>;
  route(from: string, events: PipelineEvent[], handle: BatchHandle, signal: AbortSignal): Promise<void>;
  inject: InjectFn;
}

export interface RouterParts {
  graph: PipelineGraph;
  transforms: Map<string, TransformInstance>;
  sinks: Map<string, SinkInstance>;
  contexts: Map<string, ComponentContext>;
  metrics: Metrics;
  sourceAbort: AbortController;
  /** Runs the transforms it offloads (their output feeds sinks only); absent: all on this thread. */
  pool?: TransformPool;
}

export function createRouter({ graph, transforms, sinks, contexts, metrics, sourceAbort, pool }: RouterParts): Router {
  const feeds = (from: string, kind: 'transform' | 'sink') => (graph.downstream.get(from) ?? []).some((to) => graph.kind.get(to) === kind);

  /**
   * Serialises one event for the sinks downstream of `from` (the JSON text buffers hold and
   * encoders ship, its UTF-8 length the byte unit of every bound). Returns the error when its
   * body has no JSON form; the caller dead-letters it (`unserialisable`) in `from`'s name.
   * Synchronous, so that the common case costs no promise per event.
   */
  function serialise(e: PipelineEvent, out: SinkEvent[]): string | undefined {
    const r = tryStringify(e.body);
    if (!('json' in r)) return r.error;
    out.push(sinkEvent(e.meta, r.json, Buffer.byteLength(r.json)));
    return undefined;
  }

  const unserialisable = (from: string, e: PipelineEvent, error: string) =>
    contexts.get(from)!.deadLetter({ reason: 'unserialisable_event', detail: error, kind: 'event', payload: { meta: e.meta, body: e.body } });

  /** The transform's counters, wherever it ran. */
  function countTransform(id: string, received: number, sent: number): void {
    metrics.transformEvents.inc({ transform: id }, sent);
    metrics.componentReceivedEvents.inc({ component: id, kind: 'transform' }, received);
    metrics.componentSentEvents.inc({ component: id, kind: 'transform' }, sent);
  }

  /** An input the transform threw on (a mapper's RangeError, a worker's reply), dead-lettered as it came in. */
  const transformFailed = (ctx: ComponentContext, e: PipelineEvent, detail: string) =>
    ctx.deadLetter({ reason: 'transform_failed', detail, kind: 'event', payload: { meta: e.meta, body: e.body } });

  /**
   * Runs a batch through one transform. Each output is serialised as soon as it is made when
   * the transform feeds sinks, and kept as an object only when it feeds other transforms: a
   * mapped body is then garbage before the next record is mapped, instead of the whole page's
   * bodies living until fan-out (and being promoted to the old generation on the way).
   */
  async function transformBatch(id: string, events: PipelineEvent[], keep: { events: boolean; sinks: boolean }, fromSource = false): Promise<{ events: PipelineEvent[]; forSinks: SinkEvent[] }> {
    if (pool?.offloads(id) && !keep.events) return { events: [], forSinks: await transformInPool(pool, id, events, fromSource) };
    const { fn, ctx } = transforms.get(id)!;
    const out: PipelineEvent[] = [];
    const forSinks: SinkEvent[] = [];
    let sent = 0;
    /** Returns the serialisation error of `x` (to dead-letter), if any. */
    const emitted = (x: PipelineEvent): string | undefined => {
      sent++;
      if (keep.events) out.push(x);
      return keep.sinks ? serialise(x, forSinks) : undefined;
    };
    for (const e of events) {
      let r: PipelineEvent | PipelineEvent[] | null | undefined;
      let failure: string | undefined;
      try {
        const v = fn(e);
        r = v && typeof (v as Promise<unknown>).then === 'function' ? await v : (v as PipelineEvent | PipelineEvent[] | null | undefined);
      } catch (err) {
        failure = describeError(err); // e.g. RangeError from a mapper; never escapes the transform
      }
      if (failure !== undefined) await transformFailed(ctx, e, failure);
      else if (Array.isArray(r)) {
        for (const x of r) {
          const error = emitted(x);
          if (error !== undefined) await unserialisable(id, x, error);
        }
      } else if (r) {
        const error = emitted(r);
        if (error !== undefined) await unserialisable(id, r, error);
      }
    }
    countTransform(id, events.length, sent);
    return { events: out, forSinks };
  }

  /**
   * `transformBatch` in the worker pool: the same dead letters and counts, in the same order;
   * the outputs arrive as JSON texts. Records straight from a source cross as page slots.
   */
  async function transformInPool(p: TransformPool, id: string, events: PipelineEvent[], fromSource: boolean): Promise<SinkEvent[]> {
    const { ctx } = transforms.get(id)!;
    const results = await p.run(id, events, fromSource);
    const forSinks: SinkEvent[] = [];
    let sent = 0;
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if ('failed' in r) {
        const e = events[i]!;
        await transformFailed(ctx, e, r.failed);
        continue;
      }
      for (const o of r.out) {
        sent++;
        if ('json' in o) forSinks.push(sinkEvent(o.meta, o.json, o.bytes));
        else await unserialisable(id, { meta: o.meta, body: o.body as Record<string, unknown> }, o.error);
      }
    }
    countTransform(id, events.length, sent);
    return forSinks;
  }

  async function applyTransform(id: string, events: PipelineEvent[]): Promise<PipelineEvent[]> {
    return (await transformBatch(id, events, { events: true, sinks: false })).events;
  }

  async function route(from: string, events: PipelineEvent[], handle: BatchHandle, signal: AbortSignal): Promise<void> {
    if (events.length === 0) return;
    // Serialise each event once for every sink that reads it; one SinkEvent is shared by all of them.
    const forSinks: SinkEvent[] = [];
    if (feeds(from, 'sink')) {
      for (const e of events) {
        const error = serialise(e, forSinks);
        if (error !== undefined) await unserialisable(from, e, error);
      }
    }
    await fanOut(from, events, forSinks, handle, signal);
  }

  /** Hands `from`'s output to every downstream transform and sink buffer at once. */
  async function fanOut(from: string, events: PipelineEvent[], forSinks: SinkEvent[], handle: BatchHandle, signal: AbortSignal): Promise<void> {
    const targets = graph.downstream.get(from) ?? [];
    await Promise.all(
      targets.map(async (to) => {
        if (graph.kind.get(to) === 'transform') {
          if (events.length === 0) return;
          const next = await transformBatch(to, events, { events: feeds(to, 'transform'), sinks: feeds(to, 'sink') }, graph.kind.get(from) === 'source');
          await fanOut(to, next.events, next.forSinks, handle, signal);
          return;
        }
        const sink = sinks.get(to)!;
        if (forSinks.length === 0) return;
        const entries: BufferEntry[] = forSinks.map((event) => ({ event, bytes: event.bytes, ack: handle }));
        handle.add(entries.length);
        metrics.componentReceivedEvents.inc({ component: to, kind: 'sink' }, entries.length);
        metrics.componentReceivedBytes.inc({ component: to, kind: 'sink' }, entries.reduce((a, e) => a + e.bytes, 0));
        await sink.buffer.push(entries, signal);
      }),
    );
  }

  const inject: InjectFn = async (at, events, handle) => {
    const kind = graph.kind.get(at);
    if (kind === 'source') return route(at, events, handle, sourceAbort.signal);
    if (kind === 'transform') return route(at, await applyTransform(at, events), handle, sourceAbort.signal);
    const sink = sinks.get(at);
    if (!sink) throw new Error(`no component "${at}" in the config`);
    handle.add(events.length);
    const entries = events.map(toSinkEvent).map((event) => ({ event, bytes: event.bytes, ack: handle }));
    await sink.buffer.push(entries, sourceAbort.signal);
  };

  return { applyTransform, route, inject };
}

/**
 * Turns a source batch into events, dead-lettering (with a truncated preview) every record
 * over the depth or size limit before any transform can choke on it. Rejects only when a
 * dead letter cannot be stored; the batch is then not sealed.
 */
export async function admitRecords(ctx: ComponentContext, records: SourceRecord[], limits: RecordLimits): Promise<PipelineEvent[]> {
  const out: PipelineEvent[] = [];
  for (const r of records) {
    const problem = checkRecordLimits(r.raw, limits);
    if (!problem) {
      out.push(recordToEvent(r));
      continue;
    }
    await ctx.deadLetter({
      reason: problem.reason,
      detail: `${problem.detail}; payload truncated`,
      kind: 'record',
      payload: truncatedPreview(r.raw),
      context: { account: r.account, stream: r.stream, id: r.id },
    });
  }
  return out;
}

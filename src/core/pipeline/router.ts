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
}

export function createRouter({ graph, transforms, sinks, contexts, metrics, sourceAbort }: RouterParts): Router {
  async function applyTransform(id: string, events: PipelineEvent[]): Promise<PipelineEvent[]> {
    const { fn, ctx } = transforms.get(id)!;
    const out: PipelineEvent[] = [];
    for (const e of events) {
      let failure: string | undefined;
      try {
        let r = fn(e);
        if (r && typeof (r as Promise<unknown>).then === 'function') r = await r;
        if (Array.isArray(r)) for (const x of r) out.push(x);
        else if (r) out.push(r as PipelineEvent);
      } catch (err) {
        failure = describeError(err); // e.g. RangeError from a mapper; never escapes the transform
      }
      if (failure !== undefined) await ctx.deadLetter({ reason: 'transform_failed', detail: failure, kind: 'event', payload: { meta: e.meta, body: e.body } });
    }
    metrics.transformEvents.inc({ transform: id }, out.length);
    metrics.componentReceivedEvents.inc({ component: id, kind: 'transform' }, events.length);
    metrics.componentSentEvents.inc({ component: id, kind: 'transform' }, out.length);
    return out;
  }

  async function route(from: string, events: PipelineEvent[], handle: BatchHandle, signal: AbortSignal): Promise<void> {
    if (events.length === 0) return;
    const targets = graph.downstream.get(from) ?? [];
    // Serialise each event once for every sink that reads it: the JSON text is what buffers
    // hold and encoders ship (SinkEvent), and its UTF-8 length is the byte unit of every bound.
    // An event without a JSON form is dead-lettered by the component that produced it.
    let forSinks: SinkEvent[] | undefined;
    if (targets.some((to) => graph.kind.get(to) === 'sink')) {
      forSinks = [];
      for (const e of events) {
        const r = tryStringify(e.body);
        if ('json' in r) forSinks.push(sinkEvent(e.meta, r.json, Buffer.byteLength(r.json)));
        else await contexts.get(from)!.deadLetter({ reason: 'unserialisable_event', detail: r.error, kind: 'event', payload: { meta: e.meta, body: e.body } });
      }
    }
    await Promise.all(
      targets.map(async (to) => {
        if (graph.kind.get(to) === 'transform') {
          await route(to, await applyTransform(to, events), handle, signal);
          return;
        }
        const sink = sinks.get(to)!;
        if (forSinks!.length === 0) return;
        const entries: BufferEntry[] = forSinks!.map((event) => ({ event, bytes: event.bytes, ack: handle }));
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

// Events -> HEC request bodies.
//
// Event mode: one JSON envelope per event, concatenated (newline-separated, not an array):
//   {"time":1767225600.123,"host":"acme.zendesk.com","source":"zendesk:acme","sourcetype":"zendesk:audit","index":"zendesk","fields":{...},"event":{...}}
// `time` is epoch seconds with milliseconds, from the event (never the wall clock).
// Raw mode: one event body JSON per line; host/source/sourcetype/index go in the query string,
// so a batch is split into groups that share them.
//
// The event's JSON text (serialised once, in fan-out) is written into the request as it is:
// only the small envelope head is built per event, sizes come from the known byte lengths,
// and the body is one Buffer filled chunk by chunk (no joined string, no whole-body measuring).

import type { PipelineEvent, SinkEvent } from '../../core/types.js';
import { compileTemplate, type Template } from '../shared/template.js';
import { sourcetypeOf } from '../../../transforms/zendesk/sourcetype.js';
import { TextBuffer } from '../shared/text-buffer.js';
import type { HecConfig } from './config.js';

export interface HecMeta {
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
}

export interface HecEncoder {
  meta(event: PipelineEvent): HecMeta;
  /**
   * The event-mode body (envelopes joined by newlines), or only its size when that is above
   * `maxBytes` (nothing is built then).
   */
  eventBody(events: readonly SinkEvent[], maxBytes: number): { body: Buffer } | { tooLarge: number };
  /** The raw-mode body (the events' JSON lines joined by newlines), or only its size when above `maxBytes`. */
  rawBody(events: readonly SinkEvent[], maxBytes: number): { body: Buffer } | { tooLarge: number };
}

/** HEC refuses a blank event (code 13); an empty body serialises to one of these. */
export function isBlankEvent(e: SinkEvent): boolean {
  return e.bytes === 2 && (e.json === '{}' || e.json === '[]'); // the length first: no text decoded for an event read as bytes
}

/** Epoch ms -> HEC time: seconds with exactly three decimals, never in exponent form. */
export function hecTime(ms: number): string {
  const t = Math.round(ms);
  const sign = t < 0 ? '-' : '';
  const abs = Math.abs(t);
  return `${sign}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}`;
}

export function defaultSourcetype(event: PipelineEvent): string {
  // The transforms' own table (zendesk:audit, zendesk:access, zendesk:<stream>), for events that carry none.
  return event.meta.sourcetype || sourcetypeOf(event.meta.stream, 'raw');
}

export function createHecEncoder(config: Pick<HecConfig, 'sourcetype' | 'source' | 'host' | 'index' | 'fields'>): HecEncoder {
  const sourcetype: (e: PipelineEvent) => string = config.sourcetype ? compileTemplate(config.sourcetype) : defaultSourcetype;
  const source = compileTemplate(config.source);
  const host = compileTemplate(config.host);
  const index: Template | undefined = config.index ? compileTemplate(config.index) : undefined;
  const fields = Object.entries(config.fields ?? {}).map(([k, v]) => [JSON.stringify(k), compileTemplate(v)] as const);

  // Routing values repeat across events (a few hosts, sourcetypes, indexes): quote each once.
  const quoted = new Map<string, string>();
  const quote = (v: string): string => {
    let q = quoted.get(v);
    if (q === undefined) {
      if (quoted.size >= 1024) quoted.clear(); // a per-event value (e.g. from the body) must not grow it forever
      quoted.set(v, (q = JSON.stringify(v)));
    }
    return q;
  };
  const staticPart = (name: string, t: Template | undefined): string | undefined => {
    if (!t?.isStatic) return undefined;
    const v = t({} as PipelineEvent);
    return v ? `,"${name}":${JSON.stringify(v)}` : '';
  };
  const hostPart = staticPart('host', host);
  const sourcePart = staticPart('source', source);
  const indexPart = index ? staticPart('index', index) : '';

  function meta(e: PipelineEvent): HecMeta {
    const m: HecMeta = {};
    const h = host(e);
    if (h) m.host = h;
    const s = source(e);
    if (s) m.source = s;
    const st = sourcetype(e);
    if (st) m.sourcetype = st;
    const i = index?.(e);
    if (i) m.index = i;
    return m;
  }

  /** The envelope up to and including `"event":`; the event's JSON and "}" follow. */
  function head(e: SinkEvent): string {
    let out = `{"time":${hecTime(e.meta.time)}`;
    if (hostPart !== undefined) out += hostPart;
    else {
      const h = host(e);
      if (h) out += `,"host":${quote(h)}`;
    }
    if (sourcePart !== undefined) out += sourcePart;
    else {
      const s = source(e);
      if (s) out += `,"source":${quote(s)}`;
    }
    const st = sourcetype(e);
    if (st) out += `,"sourcetype":${quote(st)}`;
    if (indexPart !== undefined) out += indexPart;
    else {
      const i = index!(e);
      if (i) out += `,"index":${quote(i)}`;
    }
    if (fields.length) {
      // Indexed fields must be flat: string values only (HEC answers code 15 otherwise).
      let f = '';
      for (const [k, t] of fields) {
        const v = t(e);
        if (v) f += `${f ? ',' : ''}${k}:${JSON.stringify(v)}`;
      }
      if (f) out += `,"fields":{${f}}`;
    }
    return `${out},"event":`;
  }

  return {
    meta,
    eventBody(events, maxBytes) {
      const heads = events.map(head);
      let bytes = Math.max(0, events.length - 1); // newlines
      events.forEach((e, i) => (bytes += Buffer.byteLength(heads[i]!) + e.bytes + 1));
      if (bytes > maxBytes) return { tooLarge: bytes };
      const out = new TextBuffer(bytes);
      events.forEach((e, i) => {
        if (i) out.newline();
        out.put(heads[i]!);
        out.putJson(e);
        out.put('}');
      });
      return { body: out.done() };
    },
    rawBody(events, maxBytes) {
      let bytes = Math.max(0, events.length - 1); // newlines
      for (const e of events) bytes += e.bytes;
      if (bytes > maxBytes) return { tooLarge: bytes };
      const out = new TextBuffer(bytes);
      events.forEach((e, i) => {
        if (i) out.newline();
        out.putJson(e);
      });
      return { body: out.done() };
    },
  };
}

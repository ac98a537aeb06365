// Events -> HEC request bodies.
//
// Event mode: one JSON envelope per event, concatenated (newline-separated, not an array):
//   {"time":1767225600.123,"host":"acme.zendesk.com","source":"zendesk:acme","sourcetype":"zendesk:audit","index":"zendesk","fields":{...},"event":{...}}
// `time` is epoch seconds with milliseconds, from the event (never the wall clock).
// Raw mode: one event body JSON per line; host/source/sourcetype/index go in the query string,
// so a batch is split into groups that share them.

import type { PipelineEvent } from '../../core/types.js';
import { compileTemplate, type Template } from '../shared/template.js';
import { sourcetypeOf } from '../../../transforms/zendesk/sourcetype.js';
import type { HecConfig } from './config.js';

export interface HecMeta {
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
}

export interface HecEncoder {
  meta(event: PipelineEvent): HecMeta;
  /** One envelope (event mode) without the trailing newline. */
  envelope(event: PipelineEvent): string;
  /** One raw line (raw mode) without the trailing newline. */
  rawLine(event: PipelineEvent): string;
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
  const fields = Object.entries(config.fields ?? {}).map(([k, v]) => [k, compileTemplate(v)] as const);

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

  return {
    meta,
    envelope(e) {
      const m = meta(e);
      let out = `{"time":${hecTime(e.meta.time)}`;
      if (m.host !== undefined) out += `,"host":${JSON.stringify(m.host)}`;
      if (m.source !== undefined) out += `,"source":${JSON.stringify(m.source)}`;
      if (m.sourcetype !== undefined) out += `,"sourcetype":${JSON.stringify(m.sourcetype)}`;
      if (m.index !== undefined) out += `,"index":${JSON.stringify(m.index)}`;
      if (fields.length) {
        // Indexed fields must be flat: string values only (HEC answers code 15 otherwise).
        const f: Record<string, string> = {};
        let any = false;
        for (const [k, t] of fields) {
          const v = t(e);
          if (v) {
            f[k] = v;
            any = true;
          }
        }
        if (any) out += `,"fields":${JSON.stringify(f)}`;
      }
      return `${out},"event":${JSON.stringify(e.body)}}`;
    },
    rawLine(e) {
      return JSON.stringify(e.body);
    },
  };
}

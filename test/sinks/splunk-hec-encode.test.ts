// The HEC encoder builds request bodies around each event's JSON text (serialised once in
// fan-out). Golden comparison: for seeded events and several routing configs, its bytes are
// identical to those of the encoder it replaced (copied below), which stringified every body
// again, joined the envelopes into one string and converted that to a Buffer.

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { recordToEvent, toSinkEvent, type PipelineEvent } from '../../src/core/types.js';
import { compileTemplate, type Template } from '../../src/sinks/shared/template.js';
import { hecOptions, type HecConfig } from '../../src/sinks/splunk-hec/config.js';
import { createHecEncoder, defaultSourcetype, hecTime } from '../../src/sinks/splunk-hec/encode.js';
import { generateRecord } from '../../src/sources/generator.js';
import { mulberry32 } from '../support/random.js';

type Routing = Pick<HecConfig, 'sourcetype' | 'source' | 'host' | 'index' | 'fields'>;

/** The previous encoder (event and raw mode), verbatim in behaviour. */
function previousEncoder(config: Routing) {
  const sourcetype: (e: PipelineEvent) => string = config.sourcetype ? compileTemplate(config.sourcetype) : defaultSourcetype;
  const source = compileTemplate(config.source);
  const host = compileTemplate(config.host);
  const index: Template | undefined = config.index ? compileTemplate(config.index) : undefined;
  const fields = Object.entries(config.fields ?? {}).map(([k, v]) => [k, compileTemplate(v)] as const);
  const envelope = (e: PipelineEvent): string => {
    const m: Record<string, string> = {};
    const h = host(e);
    if (h) m.host = h;
    const s = source(e);
    if (s) m.source = s;
    const st = sourcetype(e);
    if (st) m.sourcetype = st;
    const i = index?.(e);
    if (i) m.index = i;
    let out = `{"time":${hecTime(e.meta.time)}`;
    if (m.host !== undefined) out += `,"host":${JSON.stringify(m.host)}`;
    if (m.source !== undefined) out += `,"source":${JSON.stringify(m.source)}`;
    if (m.sourcetype !== undefined) out += `,"sourcetype":${JSON.stringify(m.sourcetype)}`;
    if (m.index !== undefined) out += `,"index":${JSON.stringify(m.index)}`;
    if (fields.length) {
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
  };
  return {
    eventBody: (events: PipelineEvent[]) => Buffer.from(events.map(envelope).join('\n'), 'utf8'),
    rawBody: (events: PipelineEvent[]) => Buffer.from(events.map((e) => JSON.stringify(e.body)).join('\n'), 'utf8'),
  };
}

/** Seeded events with awkward text: quotes, backslashes, control characters, non-ASCII, emoji, lone surrogates. */
function seededEvents(n: number, seed: number): PipelineEvent[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const words = ['plain', 'quote " inside', 'back\\slash', 'tab\there', 'line\nbreak', 'ünïcødé', '日本語', '🙂 emoji', 'lone \ud800 surrogate', '\u0001ctl', '', '10'];
  return Array.from({ length: n }, (_, i) => {
    const stream = pick(['audit_log', 'access_log', 'ticket_audit', 'deleted_ticket', 'custom_stream']);
    const e = recordToEvent(generateRecord(i, pick(['acme', 'globex', 'ü-corp', 'q"uote']), stream, Date.parse('2026-01-01T00:00:00Z'), seed));
    e.meta.time = pick([1767225600123, 1767225600005, 1000, -1500, 1767225600123.7]) + i;
    if (rnd() < 0.5) e.meta.sourcetype = pick(['ocsf:authentication', 'zendesk:audit', 'ü:type']);
    e.body = { ...e.body, note: pick(words), nested: { list: [pick(words), rnd() * 1e6, rnd() < 0.5, null], deep: { x: pick(words) } } };
    return e;
  });
}

const routings: [string, Record<string, unknown>][] = [
  ['defaults', {}],
  ['static host, source and index', { host: 'siem.example', source: 'zendesk', index: 'zendesk' }],
  ['routing from the body and meta', { host: '{body.actor_name}', source: 'zd:{account}:{stream}', sourcetype: '{meta.stream}:{body.source_type}', index: '{body.source_type}' }],
  ['indexed fields (static, from the body, empty)', { fields: { team: 'secops', actor: '{body.actor_name}', missing: '{body.nope}', note: '{body.note}', 'zd.two': 'two' } }],
  ['empty host and source', { host: '', source: '' }],
];

describe('HEC encoder builds bodies around the events JSON text', () => {
  for (const [name, over] of routings) {
    it(`event and raw bodies are byte-identical to the previous encoder: ${name}`, () => {
      const config = z.strictObject(hecOptions).parse({ endpoint: 'https://hec.example:8088', token: 't', ...over });
      const events = seededEvents(300, 20261130);
      const before = previousEncoder(config);
      const after = createHecEncoder(config);
      const sinkEvents = events.map(toSinkEvent);
      const eventBody = after.eventBody(sinkEvents, Infinity);
      expect('body' in eventBody && eventBody.body.equals(before.eventBody(events))).toBe(true);
      const rawBody = after.rawBody(sinkEvents, Infinity);
      expect('body' in rawBody && rawBody.body.equals(before.rawBody(events))).toBe(true);
      // Sizes come from the known byte counts: a body one byte above the limit is refused unbuilt.
      const size = before.eventBody(events).length;
      expect(after.eventBody(sinkEvents, size - 1)).toEqual({ tooLarge: size });
      expect(after.rawBody(sinkEvents, before.rawBody(events).length - 1)).toEqual({ tooLarge: before.rawBody(events).length });
    });
  }

  it('encodes an empty list as an empty body', () => {
    const enc = createHecEncoder(z.strictObject(hecOptions).parse({ endpoint: 'https://hec.example:8088', token: 't' }));
    expect(enc.eventBody([], 10)).toEqual({ body: Buffer.alloc(0) });
    expect(enc.rawBody([], 10)).toEqual({ body: Buffer.alloc(0) });
  });

  it('does not parse the events to build the body when the routing does not read it', () => {
    const config = z.strictObject(hecOptions).parse({ endpoint: 'https://hec.example:8088', token: 't' });
    const sinkEvents = seededEvents(20, 1).map(toSinkEvent);
    createHecEncoder(config).eventBody(sinkEvents, Infinity);
    expect(sinkEvents.some((e) => Object.hasOwn(e, 'body'))).toBe(false);
  });
});

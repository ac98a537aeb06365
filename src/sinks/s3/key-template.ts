// Object key templates. Event-level parts (strftime over the event time, {account}, {stream},
// {schema}, {class_uid}, {sourcetype}, {source_name}) decide the partition: events are grouped
// by them, so one object never mixes partitions. Object-level parts ({prefix}, {host},
// {timestamp}, {uuid}, {ext}, {region}, {accountId}, {source_version}) are filled in once per object.

import type { PipelineEvent } from '../../core/types.js';

const EVENT_FIELDS = ['account', 'stream', 'schema', 'class_uid', 'sourcetype', 'source_name'] as const;
const OBJECT_FIELDS = ['prefix', 'host', 'timestamp', 'uuid', 'ext', 'region', 'accountId', 'source_version'] as const;
const STRFTIME = new Set(['Y', 'm', 'd', 'H', 'M', 'S', 'j', 'y', '%']);

type EventField = (typeof EVENT_FIELDS)[number];
type ObjectField = (typeof OBJECT_FIELDS)[number];
type Token = { lit: string } | { time: string } | { event: EventField } | { object: ObjectField };

export interface ObjectContext {
  prefix: string;
  host: string;
  timestamp: string;
  uuid: string;
  ext: string;
  region?: string;
  accountId?: string;
  source_version?: string;
}

export interface KeyTemplate {
  source: string;
  /** Event-level values joined; equal strings = same partition. */
  partitionOf(event: PipelineEvent, extra?: { source_name?: string }): string;
  /** The key of one object of `partition` (a value returned by partitionOf). */
  render(partition: string, ctx: ObjectContext): string;
  /** Whether the template references this field (e.g. class_uid, to partition Parquet schemas). */
  uses(field: EventField | ObjectField): boolean;
}

export function parseKeyTemplate(source: string): Token[] {
  const tokens: Token[] = [];
  let lit = '';
  const flush = () => {
    if (lit) tokens.push({ lit });
    lit = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '%') {
      const d = source[i + 1];
      if (d === undefined || !STRFTIME.has(d)) throw new Error(`unsupported strftime directive "%${d ?? ''}" in key template "${source}" (supported: %Y %m %d %H %M %S %j %y %%)`);
      i++;
      if (d === '%') lit += '%';
      else {
        flush();
        tokens.push({ time: d });
      }
    } else if (c === '{') {
      const end = source.indexOf('}', i);
      if (end < 0) throw new Error(`unclosed "{" in key template "${source}"`);
      const name = source.slice(i + 1, end);
      flush();
      if ((EVENT_FIELDS as readonly string[]).includes(name)) tokens.push({ event: name as EventField });
      else if ((OBJECT_FIELDS as readonly string[]).includes(name)) tokens.push({ object: name as ObjectField });
      else throw new Error(`unknown placeholder {${name}} in key template "${source}" (known: ${[...EVENT_FIELDS, ...OBJECT_FIELDS].map((f) => `{${f}}`).join(' ')})`);
      i = end;
    } else lit += c;
  }
  flush();
  return tokens;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function strftime(d: string, t: Date): string {
  switch (d) {
    case 'Y':
      return String(t.getUTCFullYear());
    case 'y':
      return pad(t.getUTCFullYear() % 100);
    case 'm':
      return pad(t.getUTCMonth() + 1);
    case 'd':
      return pad(t.getUTCDate());
    case 'H':
      return pad(t.getUTCHours());
    case 'M':
      return pad(t.getUTCMinutes());
    case 'S':
      return pad(t.getUTCSeconds());
    case 'j':
      return pad(Math.floor((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3);
    default:
      return '';
  }
}

/** Values that come from events may not smuggle in path separators or odd characters. */
export function safeSegment(v: string): string {
  const s = v.replace(/[^A-Za-z0-9._=+-]/g, '_');
  return s === '' || s === '.' || s === '..' ? '_' : s;
}

function eventValue(f: EventField, e: PipelineEvent, extra?: { source_name?: string }): string {
  switch (f) {
    case 'account':
      return e.meta.account;
    case 'stream':
      return e.meta.stream;
    case 'schema':
      return e.meta.schema;
    case 'class_uid':
      return e.meta.classUid !== undefined ? String(e.meta.classUid) : typeof e.body.class_uid === 'number' ? String(e.body.class_uid) : 'unknown';
    case 'sourcetype':
      return e.meta.sourcetype ?? 'none';
    case 'source_name':
      return extra?.source_name ?? 'unknown';
  }
}

const SEP = '\u0000';

export function compileKeyTemplate(source: string): KeyTemplate {
  const tokens = parseKeyTemplate(source);
  const used = new Set<string>();
  for (const t of tokens) {
    if ('event' in t) used.add(t.event);
    if ('object' in t) used.add(t.object);
  }
  const partTokens = tokens.filter((t) => 'time' in t || 'event' in t);
  return {
    source,
    uses: (f) => used.has(f),
    partitionOf(e, extra) {
      if (partTokens.length === 0) return '';
      const t = new Date(e.meta.time);
      return partTokens.map((p) => ('time' in p ? strftime(p.time, t) : safeSegment(eventValue((p as { event: EventField }).event, e, extra)))).join(SEP);
    },
    render(partition, ctx) {
      const values = partition === '' && partTokens.length === 0 ? [] : partition.split(SEP);
      let i = 0;
      let key = '';
      for (const t of tokens) {
        if ('lit' in t) key += t.lit;
        else if ('object' in t) key += t.object === 'prefix' ? ctx.prefix : safeSegment(ctx[t.object] ?? '');
        else key += values[i++] ?? '';
      }
      // An empty {prefix} must not leave "//" or a leading "/" behind.
      return key.replace(/\/{2,}/g, '/').replace(/^\//, '');
    },
  };
}

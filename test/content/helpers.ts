// What the content tests compare against: the seeded corpus mapped to OCSF and ECS (per
// sourcetype), the field paths present in those events in each SIEM's notation, and small,
// documented parsers that pull field names out of Splunk .conf/SPL and Datadog queries.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PipelineEvent, SourceRecord } from '../../src/core/types.js';
import { deletionKey } from '../../src/sources/zendesk/deleted-tickets.js';
import { schemaOptions } from '../../transforms/schema-transform.js';
import { zendeskCorpus } from '../support/zendesk-corpus.js';
import { makeTransform, run } from '../transforms/helpers.js';

export const CONTENT_DIR = fileURLToPath(new URL('../../content/', import.meta.url));
export const SPLUNK_APP_DIR = `${CONTENT_DIR}splunk/TA-zendesk-siem-forwarder/`;

export type Json = Record<string, unknown>;

export interface Corpus {
  /** Events by sourcetype (zendesk:audit:ocsf, zendesk:access:ecs, ...). */
  bySourcetype: Map<string, Json[]>;
  ocsf: Json[];
  ecs: Json[];
  raw: Json[];
}

/** The transforms' default mass-deletion rule: this many deletions by one actor within the window (read from the options schema). */
export const MASS_DELETION_DEFAULT = {
  count: schemaOptions.massDeletionCount.parse(undefined),
  windowMs: schemaOptions.massDeletionWindow.parse(undefined),
};

/**
 * Deleted-tickets records (GET /api/v2/deleted_tickets, shapes as in
 * test/transforms/deleted-ticket.test.ts), kept here because the shared corpus has none: a few
 * ordinary deletions by several actors, a system deletion, one without actor or subject, a
 * near miss (count - 1 deletions by one actor within the window: no label) and one burst of
 * count + 3 deletions by one actor within the window (the last four get
 * risk:mass_ticket_deletion with the default options).
 */
export function deletedTicketCorpus(account = 'acme'): SourceRecord[] {
  const base = Date.parse('2026-01-02T09:00:00Z');
  const out: SourceRecord[] = [];
  let ticket = 7000;
  const add = (atMs: number, actor: { id: number; name: string } | null, extra: Json = {}) => {
    const id = ++ticket;
    const deletedAt = new Date(atMs).toISOString().replace('.000Z', 'Z');
    const raw = { actor, deleted_at: deletedAt, description: `Customer text of ticket ${id}`, id, previous_state: 'open', subject: `Printer on fire #${id}`, ...extra };
    out.push({ account, stream: 'deleted_ticket', id: deletionKey(String(id), atMs), time: atMs, raw });
  };
  const agents = [
    { id: 1009, name: 'Amara Okafor' },
    { id: 1020, name: 'Zoë Ångström' },
    { id: 1033, name: 'Sameer Patel' },
  ];
  // ordinary housekeeping: one deletion every 25 minutes, rotating agents
  for (let i = 0; i < 9; i++) add(base + i * 25 * 60_000, agents[i % agents.length]!, { previous_state: i % 2 ? 'solved' : 'new' });
  add(base + 11 * 60_000, { id: -1, name: 'Zendesk' }, { previous_state: 'closed' });
  add(base + 13 * 60_000, null, { subject: null, previous_state: null });
  // a near miss: count - 1 deletions by one agent within the window
  const nearMiss = base + 5 * 3_600_000;
  const step = Math.floor(MASS_DELETION_DEFAULT.windowMs / (MASS_DELETION_DEFAULT.count + 4));
  for (let i = 0; i < MASS_DELETION_DEFAULT.count - 1; i++) add(nearMiss + i * step, { id: 1041, name: 'Careful Cleaner' });
  // the burst: count + 3 deletions by one agent, all within one window
  const burst = base + 8 * 3_600_000;
  for (let i = 0; i < MASS_DELETION_DEFAULT.count + 3; i++) add(burst + i * step, { id: 1077, name: 'Bulk Deleter' }, { previous_state: 'pending' });
  return out;
}

/**
 * Webhook records: Zendesk's documented user, organization and ticket webhook examples
 * (test/reference/zendesk/webhooks/events.assembled.json), among them a role raised to admin, an
 * identity change, a suspension and a user deletion, so that the webhook alerts have events.
 */
export function webhookCorpus(account = 'acme'): SourceRecord[] {
  const file = fileURLToPath(new URL('../reference/zendesk/webhooks/events.assembled.json', import.meta.url));
  const examples = JSON.parse(readFileSync(file, 'utf8')) as Json[];
  return examples.map((raw) => ({ account, stream: 'webhook', id: String(raw.id), time: Date.parse(String(raw.time)), raw }));
}

let cached: Promise<Corpus> | undefined;

/**
 * The seeded corpus (seed 42, as in test/transforms/corpus.test.ts) plus the deleted-tickets
 * and webhook records above, mapped with the ocsf, ecs and raw transforms (default options).
 */
export function mappedCorpus(): Promise<Corpus> {
  cached ??= (async () => {
    const bySourcetype = new Map<string, Json[]>();
    const out: Corpus = { bySourcetype, ocsf: [], ecs: [], raw: [] };
    const records = [...zendeskCorpus(42), ...deletedTicketCorpus(), ...webhookCorpus()];
    for (const schema of ['ocsf', 'ecs', 'raw'] as const) {
      const t = makeTransform(schema);
      for (const rec of records) {
        for (const e of (await run(t, rec)) as PipelineEvent[]) {
          const st = String(e.meta.sourcetype);
          if (!bySourcetype.has(st)) bySourcetype.set(st, []);
          bySourcetype.get(st)!.push(e.body);
          out[schema].push(e.body);
        }
      }
    }
    return out;
  })();
  return cached;
}

/**
 * Every leaf path of the events, in Splunk KV_MODE=json notation: nested keys joined by ".",
 * arrays marked "{}" (metadata.labels{}, enrichments{}.data.rule). Parent objects are listed
 * too, since a search may test for an object (e.g. "user.name" is a leaf, "user" is not used).
 */
export function splunkPaths(events: Json[]): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, p: string) => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, `${p}{}`);
      if (v.length === 0) out.add(`${p}{}`);
      return;
    }
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, p ? `${p}.${k}` : k);
      return;
    }
    out.add(p);
  };
  for (const e of events) walk(e, '');
  return out;
}

/** Datadog / Sigma notation: arrays are transparent (metadata.labels, enrichments.data.rule). */
export function dottedPaths(events: Json[]): Set<string> {
  return new Set([...splunkPaths(events)].map((p) => p.replace(/\{\}/g, '')));
}

/** Values at a dotted path, arrays flattened (the way Sigma and Datadog match array fields). */
export function valuesAt(event: unknown, path: string): unknown[] {
  let cur: unknown[] = [event];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const c of cur) {
      const items = Array.isArray(c) ? c : [c];
      for (const i of items) if (i !== null && typeof i === 'object' && key in i) next.push((i as Json)[key]);
    }
    cur = next;
  }
  return cur.flatMap((c) => (Array.isArray(c) ? c : [c]));
}

// ---------------------------------------------------------------- Splunk .conf

export type Conf = Map<string, Map<string, string>>;

/** A Splunk .conf: [stanza] headers and key = value lines; # comments; no line continuations. */
export function parseConf(file: string): Conf {
  const conf: Conf = new Map();
  let cur: Map<string, string> | undefined;
  for (const [i, line] of readFileSync(file, 'utf8').split(/\r?\n/).entries()) {
    if (/^\s*(#|$)/.test(line)) continue;
    const head = /^\[(.*)\]\s*$/.exec(line);
    if (head) {
      cur = new Map();
      conf.set(head[1]!, cur);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!kv || !cur) throw new Error(`${file}:${i + 1}: not a stanza, comment or key = value: ${line}`);
    if (cur.has(kv[1]!)) throw new Error(`${file}:${i + 1}: duplicate key ${kv[1]}`);
    cur.set(kv[1]!, kv[2]!);
  }
  return conf;
}

const EVAL_WORDS = new Set(['true', 'false', 'null', 'AND', 'OR', 'NOT', 'LIKE', 'like', 'IN', 'in']);

/**
 * Field names an eval expression reads: single-quoted names ('metadata.labels{}') and bare
 * identifiers that are not function names (followed by "("), keywords or inside "strings".
 */
export function evalFields(expr: string): string[] {
  const out = new Set<string>();
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of noStrings.matchAll(/'([^']+)'/g)) out.add(m[1]!);
  const bare = noStrings.replace(/'[^']*'/g, "''");
  for (const m of bare.matchAll(/(?<![\w.{}])([A-Za-z_][\w.{}]*)(?![\w.{}])(\s*\()?/g)) {
    if (m[2] || EVAL_WORDS.has(m[1]!)) continue;
    out.add(m[1]!);
  }
  return [...out];
}

/** Splunk's own fields, always present. */
export const SPLUNK_INTERNAL = new Set(['_time', '_indextime', '_raw', 'sourcetype', 'source', 'host', 'index', 'eventtype', 'tag', 'count']);

export interface SplFields {
  /** Sourcetype -> fields read for it (from `sourcetype="x"` clauses; "*" when none could be attributed). */
  bySourcetype: Map<string, Set<string>>;
  /** eventtype=... references. */
  eventtypes: string[];
}

/**
 * The field references of an SPL search, under the conventions our content follows (documented
 * in savedsearches.conf): in the base search (before the first "|") every `name=`, `name!=`,
 * `name>=`... and `name IN (` is a field; a base search that is an OR of parenthesised groups
 * each with its own sourcetype attributes the fields of each group to that sourcetype. In the
 * piped commands, fields are the arguments of stats functions (fn(name)), the names after `by`
 * and the lists of `table`, and single-quoted names in eval/where. Names the search creates
 * (`as name`, `eval name=`) are not references.
 */
export function splFields(search: string): SplFields {
  const [base = '', ...pipes] = search.split('|');
  const bySourcetype = new Map<string, Set<string>>();
  const eventtypes: string[] = [];
  const add = (st: string, f: string) => {
    if (!bySourcetype.has(st)) bySourcetype.set(st, new Set());
    bySourcetype.get(st)!.add(f);
  };
  const baseFields = (text: string): { st?: string; fields: string[] } => {
    const noStrings = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const fields: string[] = [];
    let st: string | undefined;
    const sts = [...text.matchAll(/sourcetype="([^"]+)"/g)].map((m) => m[1]!);
    if (sts.length === 1) st = sts[0];
    for (const m of noStrings.matchAll(/([A-Za-z_][\w.{}]*)\s*(?:!=|>=|<=|=|>|<|\s+IN\s*\()/g)) {
      const f = m[1]!;
      if (f === 'eventtype') continue;
      if (f !== 'sourcetype') fields.push(f);
    }
    for (const m of text.matchAll(/eventtype=(\w+)/g)) eventtypes.push(m[1]!);
    return st === undefined ? { fields } : { st, fields };
  };
  const groups = [...base.matchAll(/\(([^()]*(?:\([^()]*\))?[^()]*)\)/g)].map((m) => m[1]!).filter((g) => /sourcetype=/.test(g));
  if (groups.length > 1) {
    for (const g of groups) {
      const { st, fields } = baseFields(g);
      for (const f of fields) add(st ?? '*', f);
    }
  } else {
    const { st, fields } = baseFields(base);
    for (const f of fields) add(st ?? '*', f);
  }
  const st = bySourcetype.size === 1 ? [...bySourcetype.keys()][0]! : (baseFields(base).st ?? '*');
  const created = new Set<string>();
  const used: string[] = [];
  for (const p of pipes) {
    const cmd = p.trim();
    for (const m of cmd.matchAll(/\bas\s+([A-Za-z_]\w*)/g)) created.add(m[1]!);
    const ev = /^eval\s+([A-Za-z_]\w*)\s*=(.*)$/s.exec(cmd);
    if (ev) {
      created.add(ev[1]!);
      used.push(...[...ev[2]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
      continue;
    }
    if (/^(where)\b/.test(cmd)) {
      used.push(...[...cmd.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
      continue;
    }
    if (/^(stats|timechart|chart|eventstats|streamstats)\b/.test(cmd)) {
      for (const m of cmd.matchAll(/\b\w+\(([^)]+)\)/g)) used.push(m[1]!.trim());
      const by = /\bby\s+(.+)$/.exec(cmd);
      if (by) for (const f of by[1]!.split(/[\s,]+/)) if (f && !/=/.test(f)) used.push(f);
    }
    if (/^(table|fields)\b/.test(cmd)) for (const f of cmd.replace(/^(table|fields)\s+/, '').split(/[\s,]+/)) if (f && f !== '-' && f !== '+') used.push(f);
  }
  for (const f of used) if (!created.has(f)) add(st, f);
  return { bySourcetype, eventtypes };
}

// ---------------------------------------------------------------- Datadog

/** Attribute references of a Datadog log query: every @path (facets, attributes). Reserved tags (source:, schema:) are not attributes. */
export function datadogAttributes(query: string): string[] {
  const noStrings = query.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...noStrings.matchAll(/@([A-Za-z_][\w.]*)/g)].map((m) => m[1]!);
}

// ---------------------------------------------------------------- Sigma

export interface SigmaRule {
  title: string;
  name?: string;
  logsource?: { product?: string; service?: string };
  detection?: Record<string, unknown> & { condition: string };
  correlation?: { type: string; rules: string[]; 'group-by'?: string[]; timespan: string; condition: Record<string, number> };
  fields?: string[];
  level?: string;
}

/** `field|modifier` split; the subset of modifiers our rules use. */
const MODIFIERS = new Set(['contains', 'startswith', 'endswith']);

/**
 * A tiny Sigma evaluator for the subset our rules use: the condition is one search identifier
 * or `a and b` / `a and not b` of identifiers; each identifier is a map of field -> value or
 * list of values (any of them); an event field that is an array matches if any element does;
 * modifiers contains/startswith/endswith; numbers compare by value. Anything else throws, so a
 * rule outside the subset fails the test instead of being silently mis-evaluated.
 */
export function sigmaMatches(rule: SigmaRule, event: Json): boolean {
  const det = rule.detection;
  if (!det) throw new Error(`${rule.title}: no detection`);
  const evalIdent = (name: string): boolean => {
    const sel = det[name];
    if (!sel || typeof sel !== 'object' || Array.isArray(sel)) throw new Error(`${rule.title}: search identifier ${name} is not a map`);
    return Object.entries(sel as Json).every(([key, want]) => {
      const [field = '', ...mods] = key.split('|');
      for (const m of mods) if (!MODIFIERS.has(m)) throw new Error(`${rule.title}: modifier ${m} not supported`);
      const wants = Array.isArray(want) ? want : [want];
      const have = valuesAt(event, field);
      return have.some((h) =>
        wants.some((w) => {
          if (mods.includes('contains')) return String(h).includes(String(w));
          if (mods.includes('startswith')) return String(h).startsWith(String(w));
          if (mods.includes('endswith')) return String(h).endsWith(String(w));
          return typeof w === 'number' ? Number(h) === w : String(h) === String(w);
        }),
      );
    });
  };
  if (!/^\w+(?: and (?:not )?\w+)*$/.test(det.condition.trim())) throw new Error(`${rule.title}: condition "${det.condition}" outside the supported subset`);
  const parts = det.condition.trim().split(/\s+/);
  let result = evalIdent(parts[0]!);
  for (let i = 1; i < parts.length; ) {
    if (parts[i] !== 'and') throw new Error(`${rule.title}: condition "${det.condition}" outside the supported subset`);
    const negate = parts[i + 1] === 'not';
    const ident = parts[negate ? i + 2 : i + 1];
    if (!ident) throw new Error(`${rule.title}: condition "${det.condition}" ends early`);
    const v = evalIdent(ident);
    result = result && (negate ? !v : v);
    i += negate ? 3 : 2;
  }
  return result;
}

/** The fields a Sigma detection reads (keys of its search identifiers, without modifiers). */
export function sigmaFields(rule: SigmaRule): string[] {
  const out: string[] = [];
  for (const [k, sel] of Object.entries(rule.detection ?? {})) {
    if (k === 'condition') continue;
    for (const key of Object.keys(sel as Json)) out.push(key.split('|')[0]!);
  }
  return out;
}

/**
 * Sigma `event_count` correlation, for the subset we use (one base rule list, `group-by`, a
 * timespan in m/h, condition gte): the largest number of matching events of one group within
 * any window of the timespan, measured on OCSF `time` (epoch ms). Events without a group-by
 * value are not counted, as in SIEM backends.
 */
export function eventCountPeak(rule: SigmaRule, base: SigmaRule[], events: Json[]): number {
  const c = rule.correlation;
  if (c?.type !== 'event_count') throw new Error(`${rule.title}: not an event_count correlation`);
  const span = /^(\d+)([mh])$/.exec(c.timespan);
  if (!span) throw new Error(`${rule.title}: timespan ${c.timespan} outside the supported subset`);
  const spanMs = Number(span[1]) * (span[2] === 'h' ? 3_600_000 : 60_000);
  const groups = new Map<string, number[]>();
  for (const e of events) {
    if (!base.some((b) => sigmaMatches(b, e))) continue;
    const key = (c['group-by'] ?? []).map((g) => valuesAt(e, g));
    if (key.some((v) => v.length !== 1)) continue;
    const k = JSON.stringify(key);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(e.time as number);
  }
  let peak = 0;
  for (const times of groups.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= spanMs) j++;
      peak = Math.max(peak, i - j + 1);
    }
  }
  return peak;
}

/** `*` wildcard, case-insensitive: how Splunk and Datadog compare search values. */
function wildcardEquals(pattern: string, value: unknown): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(String(value));
}

/**
 * Evaluates the base search (before the first "|") of an SPL search on one event of the given
 * sourcetype, for the subset our content uses: space-separated terms, all ANDed, each
 * `sourcetype="x"`, `field=value`, `field="value"`, `field>=n` (and >, <=, <, !=) or
 * `field IN (a, b)`. Array fields (name{}) match when any element does. Anything else throws.
 */
export function splBaseMatches(search: string, sourcetype: string, event: Json): boolean {
  const base = search.split('|')[0]!.trim();
  const terms = [...base.matchAll(/([A-Za-z_][\w.{}]*)\s*(?:(!=|>=|<=|=|>|<)\s*("(?:[^"\\]|\\.)*"|[^\s()]+)|\s+IN\s*\(([^)]*)\))/g)];
  const rest = terms.reduce((t, m) => t.replace(m[0], ''), base).trim();
  if (rest) throw new Error(`base search outside the supported subset: "${rest}" in ${base}`);
  return terms.every((m) => {
    const field = m[1]!;
    const unquote = (v: string) => v.trim().replace(/^"(.*)"$/, '$1');
    if (field === 'sourcetype') return wildcardEquals(unquote(m[3]!), sourcetype);
    const values = valuesAt(event, field.replace(/\{\}/g, ''));
    if (m[4] !== undefined) return values.some((v) => m[4]!.split(',').some((w) => wildcardEquals(unquote(w), v)));
    const want = unquote(m[3]!);
    switch (m[2]) {
      case '=':
        return values.some((v) => wildcardEquals(want, v));
      case '!=':
        return values.length > 0 && !values.some((v) => wildcardEquals(want, v));
      case '>=':
        return values.some((v) => Number(v) >= Number(want));
      case '<=':
        return values.some((v) => Number(v) <= Number(want));
      case '>':
        return values.some((v) => Number(v) > Number(want));
      default:
        return values.some((v) => Number(v) < Number(want));
    }
  });
}

/**
 * Evaluates a Datadog log query on one event, for the subset our content uses: space-separated
 * terms, all ANDed; reserved/tag terms `source:x`, `schema:x` compared with the given tags;
 * `@attr:value`, `@attr:"value"`, `@attr:prefix*`, `@attr:(a OR b)`, `@attr:>=n`, `*`. Arrays
 * match when any element does. Anything else throws.
 */
export function datadogMatches(query: string, tags: Record<string, string>, event: Json): boolean {
  const terms = [...query.matchAll(/(@?[A-Za-z_][\w.]*):(\((?:[^)]*)\)|"(?:[^"\\]|\\.)*"|>=\S+|<=\S+|>\S+|<\S+|\S+)|(\*)/g)];
  const rest = terms.reduce((t, m) => t.replace(m[0], ''), query).trim();
  if (rest) throw new Error(`query outside the supported subset: "${rest}" in ${query}`);
  return terms.every((m) => {
    if (m[3] === '*') return true;
    const key = m[1]!;
    const raw = m[2]!;
    if (!key.startsWith('@')) return tags[key] !== undefined && wildcardEquals(raw, tags[key]);
    const values = valuesAt(event, key.slice(1));
    const cmp = /^(>=|<=|>|<)(.+)$/.exec(raw);
    if (cmp) {
      const n = Number(cmp[2]);
      return values.some((v) => (cmp[1] === '>=' ? Number(v) >= n : cmp[1] === '<=' ? Number(v) <= n : cmp[1] === '>' ? Number(v) > n : Number(v) < n));
    }
    const alts = raw.startsWith('(') ? raw.slice(1, -1).split(/\s+OR\s+/) : [raw];
    return alts.some((a) => {
      const want = a.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
      return values.some((v) => wildcardEquals(want, v));
    });
  });
}

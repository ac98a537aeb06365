// The Splunk add-on against the events the mappers emit: a props stanza for every sourcetype the
// HEC sink sends, timestamps that parse to the event time in raw mode, TRUNCATE above every
// event, and every field an alias, eval, event type, alert or dashboard search reads exists in
// the events of its sourcetype (or is produced for it by props.conf).

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../../src/sinks/splunk-hec/config.js';
import { RISK_RULES } from '../../transforms/enrich/rules.js';
import { sourcetypeOf, STREAMS } from '../../transforms/zendesk/prepare.js';
import { evalFields, mappedCorpus, parseConf, splBaseMatches, splFields, SPLUNK_APP_DIR, SPLUNK_INTERNAL, splunkPaths, type Conf, type Corpus } from './helpers.js';

const props = parseConf(`${SPLUNK_APP_DIR}default/props.conf`);
const eventtypes = parseConf(`${SPLUNK_APP_DIR}default/eventtypes.conf`);
const tags = parseConf(`${SPLUNK_APP_DIR}default/tags.conf`);
const saved = parseConf(`${SPLUNK_APP_DIR}default/savedsearches.conf`);

const SOURCETYPES = [...new Set([...STREAMS.flatMap((s) => (['raw', 'ocsf', 'ecs'] as const).map((x) => sourcetypeOf(s, x)))])];

/** Fields props.conf creates for a sourcetype: FIELDALIAS targets and EVAL-<name>. */
function produced(conf: Conf, st: string): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of conf.get(st) ?? []) {
    if (k.startsWith('EVAL-')) out.add(k.slice(5));
    if (k.startsWith('FIELDALIAS-')) for (const m of v.matchAll(/\S+\s+AS(?:NEW)?\s+(\S+)/g)) out.add(m[1]!);
  }
  return out;
}

/** Fields props.conf reads for a sourcetype: FIELDALIAS sources and EVAL inputs. */
function read(conf: Conf, st: string): { key: string; field: string }[] {
  const out: { key: string; field: string }[] = [];
  for (const [k, v] of conf.get(st) ?? []) {
    if (k.startsWith('EVAL-')) for (const f of evalFields(v)) out.push({ key: k, field: f });
    if (k.startsWith('FIELDALIAS-')) for (const m of v.matchAll(/(\S+)\s+AS(?:NEW)?\s+\S+/g)) out.push({ key: k, field: m[1]! });
  }
  return out;
}

function globMatch(pattern: string): string[] {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return SOURCETYPES.filter((s) => re.test(s));
}

let corpus: Corpus;
const paths = new Map<string, Set<string>>();
beforeAll(async () => {
  corpus = await mappedCorpus();
  for (const [st, events] of corpus.bySourcetype) paths.set(st, splunkPaths(events));
}, 120_000);

/** Problems with a field reference: it must be internal, produced by props, or present in the events of every sourcetype it may come from. */
function missing(sts: string[], field: string): string[] {
  if (SPLUNK_INTERNAL.has(field)) return [];
  return sts.filter((st) => !paths.get(st)?.has(field) && !produced(props, st).has(field)).map((st) => `${st}: ${field}`);
}

function searchProblems(where: string, search: string): string[] {
  const { bySourcetype, eventtypes: ets } = splFields(search);
  const problems: string[] = [];
  for (const [st, fields] of bySourcetype) {
    let sts = st === '*' ? [] : globMatch(st);
    if (st === '*') {
      for (const et of ets) {
        const def = eventtypes.get(et)?.get('search');
        if (!def) problems.push(`${where}: eventtype ${et} not defined`);
        else sts.push(...[...def.matchAll(/sourcetype="([^"]+)"/g)].map((m) => m[1]!));
      }
      sts = [...new Set(sts)];
    }
    if (sts.length === 0) problems.push(`${where}: fields ${[...fields].join(', ')} of no known sourcetype (${st})`);
    for (const f of fields) problems.push(...missing(sts, f).map((m) => `${where}: ${m}`));
  }
  return problems;
}

describe('props.conf', () => {
  it('has a stanza for every sourcetype the HEC sink emits, with JSON extraction and line breaking', () => {
    expect(SOURCETYPES).toHaveLength(15);
    for (const st of SOURCETYPES) {
      const s = props.get(st);
      expect(s, st).toBeDefined();
      expect(s!.get('KV_MODE'), st).toBe('json');
      expect(s!.get('SHOULD_LINEMERGE'), st).toBe('false');
      expect(s!.get('LINE_BREAKER'), st).toBe('([\\r\\n]+)');
    }
  });

  it('TRUNCATE is above every corpus event and equals the HEC request limit the sink uses', () => {
    let largest = 0;
    for (const [st, events] of corpus.bySourcetype) {
      const truncate = Number(props.get(st)!.get('TRUNCATE'));
      for (const e of events) largest = Math.max(largest, Buffer.byteLength(JSON.stringify(e)));
      expect(truncate, st).toBeGreaterThan(largest);
      expect(truncate, st).toBe(DEFAULT_MAX_CONTENT_LENGTH);
    }
  });

  it('in HEC raw mode, TIME_PREFIX/TIME_FORMAT read the event time from the JSON the sink writes', () => {
    let checked = 0;
    for (const [st, events] of corpus.bySourcetype) {
      const s = props.get(st)!;
      const prefix = new RegExp(s.get('TIME_PREFIX')!);
      const lookahead = Number(s.get('MAX_TIMESTAMP_LOOKAHEAD'));
      const format = s.get('TIME_FORMAT');
      for (const e of events.slice(0, 300)) {
        const line = JSON.stringify(e);
        const m = prefix.exec(line);
        expect(m, `${st}: TIME_PREFIX ${prefix.source} not in ${line.slice(0, 200)}`).not.toBeNull();
        const text = line.slice(m!.index + m![0].length, m!.index + m![0].length + lookahead);
        let parsed: number;
        if (format === '%s%3N') parsed = Number(/^\d{13}/.exec(text)?.[0]);
        else if (format === '%Y-%m-%dT%H:%M:%S.%3N%Z') parsed = Date.parse(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/.exec(text)?.[0] ?? '');
        else throw new Error(`${st}: TIME_FORMAT ${format} not understood by this test`);
        const expected = st.endsWith(':ocsf') ? (e.time as number) : Date.parse(st.endsWith(':ecs') ? (e['@timestamp'] as string) : (e.zsf as { time: string }).time);
        expect(parsed, `${st}: ${text}`).toBe(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('every FIELDALIAS source and EVAL input exists in the events of its sourcetype', () => {
    const problems: string[] = [];
    for (const st of SOURCETYPES) {
      if (!paths.has(st)) continue; // raw sourcetypes alias nothing but app
      for (const { key, field } of read(props, st)) problems.push(...missing([st], field).map((m) => `${key}: ${m}`));
    }
    expect(problems).toEqual([]);
  });

  it('maps the CIM Authentication and Change fields for the OCSF and ECS audit and deleted-ticket sourcetypes', () => {
    for (const st of ['zendesk:audit:ocsf', 'zendesk:audit:ecs']) {
      const p = produced(props, st);
      for (const f of ['action', 'app', 'src', 'user', 'src_user', 'dest', 'signature', 'status', 'object', 'object_category', 'object_id', 'command', 'change_type', 'vendor_product', 'authentication_method']) expect(p, `${st} ${f}`).toContain(f);
    }
    for (const st of ['zendesk:deleted_ticket:ocsf', 'zendesk:deleted_ticket:ecs']) {
      const p = produced(props, st);
      for (const f of ['action', 'app', 'user', 'src_user', 'dest', 'signature', 'status', 'object', 'object_category', 'object_id', 'command', 'change_type', 'vendor_product']) expect(p, `${st} ${f}`).toContain(f);
    }
    for (const st of ['zendesk:access:ocsf', 'zendesk:access:ecs']) {
      const p = produced(props, st);
      for (const f of ['action', 'src', 'user', 'http_method', 'status', 'url', 'dest', 'http_user_agent', 'bytes_out']) expect(p, `${st} ${f}`).toContain(f);
    }
  });
});

describe('eventtypes and tags', () => {
  it('every event type reads fields that exist in the events of its sourcetypes', () => {
    const problems: string[] = [];
    for (const [name, s] of eventtypes) problems.push(...searchProblems(`eventtype ${name}`, s.get('search')!));
    expect(problems).toEqual([]);
  });

  it('every sourcetype group of every event type matches corpus events', () => {
    let groups = 0;
    for (const [name, s] of eventtypes) {
      for (const m of s.get('search')!.matchAll(/\((sourcetype="([^"]+)"[^()]*(?:\([^()]*\))?[^()]*)\)/g)) {
        const matched = corpus.bySourcetype.get(m[2]!)!.filter((e) => splBaseMatches(m[1]!, m[2]!, e));
        expect(matched.length, `${name}: ${m[1]!}`).toBeGreaterThan(0);
        groups++;
      }
    }
    expect(groups).toBe(16);
  });

  it('tags the CIM data models: authentication, change, account management, data access', () => {
    const tagged = new Map<string, string[]>();
    for (const [stanza, kv] of tags) {
      const et = /^eventtype=(\w+)$/.exec(stanza)?.[1];
      expect(et, stanza).toBeDefined();
      expect(eventtypes.has(et!), stanza).toBe(true);
      tagged.set(et!, [...kv].filter(([, v]) => v === 'enabled').map(([k]) => k));
    }
    expect(tagged.get('zendesk_authentication')).toEqual(['authentication']);
    expect(tagged.get('zendesk_change')).toContain('change');
    expect(tagged.get('zendesk_account_management')).toEqual(expect.arrayContaining(['change', 'account']));
    expect(tagged.get('zendesk_data_access')).toEqual(expect.arrayContaining(['web', 'data', 'access']));
  });
});

describe('savedsearches.conf', () => {
  it('has one alert per risk label of the enrichment, plus the thresholds', () => {
    const searches = [...saved.values()].map((s) => s.get('search')!);
    for (const r of RISK_RULES) expect(searches.filter((s) => s.includes(`"risk:${r.id}"`)).length, r.id).toBeGreaterThanOrEqual(1);
    const thresholds = searches.filter((s) => /\| where count >= \d+$/.test(s));
    expect(thresholds.length).toBeGreaterThanOrEqual(4);
    for (const [name, s] of saved) {
      expect(s.get('cron_schedule'), name).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
      expect(s.get('dispatch.earliest_time'), name).toBeDefined();
      // throttling per entity: the suppress field is one the search groups by (not the time bucket)
      const by = /\bby\s+([^|]+)/.exec(s.get('search')!)![1]!.split(/[\s,]+/);
      expect(by, name).toContain(s.get('alert.suppress.fields'));
      expect(s.get('alert.suppress.fields'), name).not.toBe('_time');
    }
  });

  it('every field an alert reads exists in the events of its sourcetype', () => {
    const problems: string[] = [];
    for (const [name, s] of saved) problems.push(...searchProblems(name, s.get('search')!));
    expect(problems).toEqual([]);
  });

  it('every alert matches corpus events; a label alert matches exactly the events with that label', () => {
    for (const [name, s] of saved) {
      const search = s.get('search')!;
      const st = /^sourcetype="([^"]+)"/.exec(search)![1]!;
      const events = corpus.bySourcetype.get(st)!;
      const matched = events.filter((e) => splBaseMatches(search, st, e));
      expect(matched.length, name).toBeGreaterThan(0);
      const label = /metadata\.labels\{\}="(risk:\w+)"/.exec(search)?.[1];
      if (label) expect(matched, name).toEqual(events.filter((e) => ((e.metadata as { labels?: string[] }).labels ?? []).includes(label)));
    }
    // the evaluator can say no
    const events = corpus.bySourcetype.get('zendesk:audit:ocsf')!;
    expect(events.filter((e) => splBaseMatches('sourcetype="zendesk:audit:ocsf" class_uid=3002 status_id=7', 'zendesk:audit:ocsf', e))).toEqual([]);
    expect(events.filter((e) => splBaseMatches('sourcetype="zendesk:access:ocsf" class_uid=3002', 'zendesk:audit:ocsf', e))).toEqual([]);
  });

  it('the field parser sees a misspelt field (the check above can fail)', () => {
    expect(searchProblems('probe', 'sourcetype="zendesk:audit:ocsf" metadata.label{}="risk:x" | stats count by actor.user.nam')).toEqual([
      'probe: zendesk:audit:ocsf: metadata.label{}',
      'probe: zendesk:audit:ocsf: actor.user.nam',
    ]);
    expect(evalFields(`if(isnotnull(mvfind('event.type{}', "^x$")), status_id, "a b")`)).toEqual(['event.type{}', 'status_id']);
  });
});

describe('dashboard', () => {
  const xml = readFileSync(`${SPLUNK_APP_DIR}default/data/ui/views/zendesk_security_overview.xml`, 'utf8');

  it('is a Dashboard Studio (version 2) view whose JSON definition is consistent', () => {
    expect(xml).toMatch(/^<dashboard version="2"/);
    const json = /<definition><!\[CDATA\[([\s\S]*?)\]\]><\/definition>/.exec(xml)?.[1];
    const def = JSON.parse(json!) as { visualizations: Record<string, { dataSources: { primary: string } }>; dataSources: Record<string, { type: string; options: { query: string } }>; layout: { structure: { item: string }[] } };
    for (const [id, v] of Object.entries(def.visualizations)) expect(def.dataSources[v.dataSources.primary], id).toBeDefined();
    expect(def.layout.structure.map((s) => s.item).sort()).toEqual(Object.keys(def.visualizations).sort());
    const problems: string[] = [];
    for (const [id, ds] of Object.entries(def.dataSources)) {
      expect(ds.type).toBe('ds.search');
      problems.push(...searchProblems(id, ds.options.query));
    }
    expect(problems).toEqual([]);
    const queries = Object.values(def.dataSources).map((d) => d.options.query).join('\n');
    expect(queries).toMatch(/_indextime-_time/); // freshness
    expect(queries).toMatch(/zendesk:access:ocsf.*by actor\.user\.uid/); // access volume per agent
  });
});

describe('app', () => {
  it('app.conf names the app and its version; default.meta exports the knowledge objects', () => {
    const app = parseConf(`${SPLUNK_APP_DIR}default/app.conf`);
    expect(app.get('package')!.get('id')).toBe('TA-zendesk-siem-forwarder');
    expect(app.get('launcher')!.get('version')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(app.get('id')!.get('version')).toBe(app.get('launcher')!.get('version'));
    const meta = parseConf(`${SPLUNK_APP_DIR}metadata/default.meta`);
    expect(meta.get('')?.get('export')).toBe('system');
  });
});

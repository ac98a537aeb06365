// The Datadog content against the official client's models and the OCSF events: every JSON file
// deserializes into its model with no unknown attribute or invalid value, and every attribute a
// pipeline processor, rule query, facet or dashboard widget reads exists in the mapped corpus.

import { readFileSync } from 'node:fs';
import { v1, v2 } from '@datadog/datadog-api-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDatadogContent } from '../../src/cli/content.js';
import { RISK_RULES } from '../../transforms/enrich/rules.js';
import { CONTENT_DIR, datadogAttributes, datadogMatches, dottedPaths, mappedCorpus, type Json } from './helpers.js';

const content = loadDatadogContent(CONTENT_DIR);

/** Unknown attributes (additionalProperties) and values the client could not parse (_unparsed / UnparsedObject), with their path. */
function modelProblems(x: unknown, path: string, out: string[] = []): string[] {
  if (x === null || typeof x !== 'object') return out;
  const o = x as Json;
  if (o.constructor?.name === 'UnparsedObject') {
    out.push(`${path}: not parsed: ${JSON.stringify(o._data ?? o).slice(0, 200)}`);
    return out;
  }
  if (o._unparsed) out.push(`${path}: has an unparsed value`);
  if (o.additionalProperties && Object.keys(o.additionalProperties).length > 0) out.push(`${path}: unknown attributes ${Object.keys(o.additionalProperties).join(', ')}`);
  for (const [k, v] of Object.entries(o)) if (k !== 'additionalProperties' && k !== '_unparsed') modelProblems(v, `${path}.${k}`, out);
  return out;
}

function deserialize(api: 'v1' | 'v2', body: unknown, type: string): string[] {
  try {
    const ser = api === 'v1' ? v1.ObjectSerializer : v2.ObjectSerializer;
    return modelProblems(ser.deserialize(body, type), type);
  } catch (err) {
    return [`${type}: ${err instanceof Error ? err.message : String(err)}`];
  }
}

describe('Datadog content deserializes into the client models', () => {
  it('pipeline.json is a v1.LogsPipeline', () => {
    expect(deserialize('v1', content.pipeline, 'LogsPipeline')).toEqual([]);
  });
  it('dashboard.json is a v1.Dashboard', () => {
    expect(deserialize('v1', content.dashboard, 'Dashboard')).toEqual([]);
  });
  it('every rule is a v2.SecurityMonitoringStandardRuleCreatePayload', () => {
    expect(content.rules.length).toBe(RISK_RULES.length + 4);
    for (const r of content.rules) expect(deserialize('v2', r.body, 'SecurityMonitoringStandardRuleCreatePayload'), r.file).toEqual([]);
  });
  it('rules have unique names and options Datadog accepts together (window <= keep-alive <= max duration)', () => {
    const names = content.rules.map((r) => String(r.body.name));
    expect(new Set(names).size).toBe(names.length);
    for (const { file, body } of content.rules) {
      const o = body.options as { evaluationWindow: number; keepAlive: number; maxSignalDuration: number };
      expect(o.evaluationWindow, file).toBeLessThanOrEqual(o.keepAlive);
      expect(o.keepAlive, file).toBeLessThanOrEqual(o.maxSignalDuration);
      const queryNames = (body.queries as { name: string }[]).map((q) => q.name);
      for (const c of body.cases as { condition: string }[]) for (const ref of c.condition.match(/\b[a-z]\w*\b/g) ?? []) expect(queryNames, `${file}: ${c.condition}`).toContain(ref);
    }
  });

  it('the check reports an unknown attribute and an invalid enum value (it can fail)', () => {
    const bad = JSON.parse(JSON.stringify(content.rules[0]!.body)) as Json;
    (bad.options as Json).evaluationWindow = 601;
    (bad as Json).isEnabledd = true;
    const problems = deserialize('v2', bad, 'SecurityMonitoringStandardRuleCreatePayload');
    expect(problems.some((p) => p.includes('isEnabledd'))).toBe(true);
    expect(problems.some((p) => /options/.test(p))).toBe(true);
    const pipeline = JSON.parse(JSON.stringify(content.pipeline)) as { processors: Json[] };
    pipeline.processors[0]!.type = 'date-remaper';
    expect(deserialize('v1', pipeline, 'LogsPipeline')).not.toEqual([]);
  });
});

describe('Datadog content reads attributes the OCSF events have', () => {
  let ocsf: Set<string>;
  let events: Json[];
  beforeAll(async () => {
    events = (await mappedCorpus()).ocsf;
    ocsf = dottedPaths(events);
  }, 120_000);

  /** Attributes the pipeline creates (remapper and category targets): usable by facets and widgets, not by rules on raw OCSF. */
  const created = new Set<string>();
  const pipeline = content.pipeline as { filter: { query: string }; processors: Json[] };
  for (const p of pipeline.processors) if (typeof p.target === 'string') created.add(p.target);

  it('pipeline: filter and every processor source exist in the events', () => {
    expect(pipeline.filter.query).toBe('source:zendesk schema:ocsf');
    const missing: string[] = [];
    for (const p of pipeline.processors) {
      for (const s of (p.sources as string[] | undefined) ?? []) if (!ocsf.has(s) && !created.has(s)) missing.push(`${String(p.name)}: ${s}`);
      for (const c of (p.categories as { filter: { query: string } }[] | undefined) ?? []) for (const a of datadogAttributes(c.filter.query)) if (!ocsf.has(a)) missing.push(`${String(p.name)}: ${a}`);
    }
    expect(missing).toEqual([]);
    const types = new Set(pipeline.processors.map((p) => p.type));
    for (const t of ['date-remapper', 'status-remapper', 'service-remapper', 'attribute-remapper']) expect(types).toContain(t);
  });

  it('the date remapper reads epoch milliseconds, the status category covers every severity', () => {
    expect(events.every((e) => typeof e.time === 'number' && e.time > 1e12)).toBe(true);
    const category = pipeline.processors.find((p) => p.type === 'category-processor') as { categories: { name: string }[] };
    expect(category.categories.map((c) => c.name)).toEqual(['critical', 'error', 'warning', 'notice', 'info']);
  });

  it('every rule query and group-by reads existing attributes, and matches corpus events', () => {
    const missing: string[] = [];
    for (const { file, body } of content.rules) {
      const queries = body.queries as { query: string; groupByFields?: string[]; distinctFields?: string[] }[];
      for (const q of queries) {
        for (const a of datadogAttributes(q.query)) if (!ocsf.has(a)) missing.push(`${file}: ${a}`);
        for (const g of [...(q.groupByFields ?? []), ...(q.distinctFields ?? [])]) if (!ocsf.has(g.replace(/^@/, ''))) missing.push(`${file}: ${g}`);
        const label = /@metadata\.labels:"(risk:\w+)"/.exec(q.query)?.[1];
        if (label && !events.some((e) => ((e.metadata as Json).labels as string[] | undefined)?.includes(label))) missing.push(`${file}: no corpus event has ${label}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('facets and dashboard widgets read existing or pipeline-created attributes', () => {
    const facets = (JSON.parse(readFileSync(`${CONTENT_DIR}datadog/facets.json`, 'utf8')) as { facets: { path: string; source: string; name: string }[] }).facets;
    const missing: string[] = [];
    for (const f of facets) {
      if (!ocsf.has(f.source.replace(/^@/, ''))) missing.push(`facet ${f.name}: ${f.source}`);
      const p = f.path.replace(/^@/, '');
      if (!ocsf.has(p) && !created.has(p)) missing.push(`facet ${f.name}: ${f.path}`);
    }
    expect(facets.map((f) => f.name)).toEqual(expect.arrayContaining(['Actor', 'Action', 'Risk label']));
    const text = JSON.stringify(content.dashboard);
    const refs = [...text.matchAll(/"(?:query|facet)":"([^"\\]*(?:\\.[^"\\]*)*)"/g)].flatMap((m) => datadogAttributes(JSON.parse(`"${m[1]!}"`) as string));
    const columns = (content.dashboard.widgets as { definition: { columns?: string[] } }[]).flatMap((w) => w.definition.columns ?? []);
    for (const a of [...refs, ...columns.map((c) => c.replace(/^@/, ''))]) if (!ocsf.has(a) && !created.has(a)) missing.push(`dashboard: ${a}`);
    expect(refs.length).toBeGreaterThan(8);
    expect(missing).toEqual([]);
  });

  it('every rule query matches corpus events (a label rule exactly those with its label), every widget query some', () => {
    const tags = { source: 'zendesk', schema: 'ocsf' };
    for (const { file, body } of content.rules) {
      const q = (body.queries as { query: string }[])[0]!.query;
      const matched = events.filter((e) => datadogMatches(q, tags, e));
      expect(matched.length, file).toBeGreaterThan(0);
      const label = /@metadata\.labels:"(risk:\w+)"/.exec(q)?.[1];
      if (label) expect(matched, file).toEqual(events.filter((e) => ((e.metadata as { labels?: string[] }).labels ?? []).includes(label)));
    }
    const widgets = (content.dashboard.widgets as { definition: Json }[]).map((w) => w.definition);
    const queries = widgets.flatMap((d) => [d.query as string | undefined, ...((d.requests as { log_query: { search: { query: string } } }[] | undefined) ?? []).map((r) => r.log_query.search.query)]).filter((q): q is string => !!q);
    expect(queries).toHaveLength(widgets.length);
    for (const q of queries) expect(events.some((e) => datadogMatches(q, tags, e)), q).toBe(true);
    // every status category but critical is reached (no risk rule is Critical, severity 5, today)
    for (const c of (pipeline.processors.find((p) => p.type === 'category-processor') as { categories: { name: string; filter: { query: string } }[] }).categories) {
      expect(events.some((e) => datadogMatches(c.filter.query, tags, e)), c.filter.query).toBe(c.name !== 'critical');
    }
    // the evaluator can say no
    expect(events.some((e) => datadogMatches('source:zendesk schema:ecs', tags, e))).toBe(false);
    expect(events.some((e) => datadogMatches('@class_uid:(1 OR 2) @severity_id:>=1', tags, e))).toBe(false);
  });
});

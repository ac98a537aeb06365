// The Sigma rules: valid against the official Sigma JSON schemas (copied in test/content/reference
// with provenance), reading only fields the OCSF events have, and each detection catches exactly
// the corpus events that carry its risk label (a tiny evaluator for the subset we use). The
// threshold correlations refer to existing rules and group by fields those events have.

import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { RISK_RULES } from '../../transforms/enrich/rules.js';
import { CONTENT_DIR, dottedPaths, eventCountPeak, mappedCorpus, MASS_DELETION_DEFAULT, sigmaFields, sigmaMatches, valuesAt, type Json, type SigmaRule } from './helpers.js';

const REF = new URL('./reference/', import.meta.url);
const SIGMA_DIR = `${CONTENT_DIR}sigma/`;
const files = readdirSync(SIGMA_DIR).filter((f) => f.endsWith('.yml')).sort();
const rules = files.map((file) => ({ file, rule: parse(readFileSync(`${SIGMA_DIR}${file}`, 'utf8')) as SigmaRule }));
const detections = rules.filter((r) => r.rule.detection);
const correlations = rules.filter((r) => r.rule.correlation);

function validator(schemaFile: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv.compile(JSON.parse(readFileSync(new URL(schemaFile, REF), 'utf8')) as object);
}

const STREAM_OF_SERVICE: Record<string, string> = { audit: 'zendesk:audit:ocsf', access: 'zendesk:access:ocsf', deleted_ticket: 'zendesk:deleted_ticket:ocsf' };

let bySourcetype: Map<string, Json[]>;
beforeAll(async () => {
  bySourcetype = (await mappedCorpus()).bySourcetype;
}, 120_000);

describe('Sigma rules', () => {
  it('are valid against the Sigma detection and correlation JSON schemas', () => {
    expect(files.length).toBe(RISK_RULES.length + 1 + 4);
    const detection = validator('sigma-detection-rule-schema.json');
    const correlation = validator('sigma-correlation-rules-schema.json');
    const problems: string[] = [];
    for (const { file, rule } of rules) {
      const validate = rule.correlation ? correlation : detection;
      if (!validate(rule)) problems.push(`${file}: ${JSON.stringify(validate.errors)}`);
    }
    expect(problems).toEqual([]);
    // the schema check can fail: a broken rule is refused
    expect(detection({ title: 'x', logsource: { product: 'zendesk' }, detection: { selection: { a: 1 } }, level: 'severe' })).toBe(false);
  });

  it('have unique ids and names, product zendesk and a service the forwarder emits', () => {
    expect(new Set(rules.map((r) => (r.rule as { id?: string }).id)).size).toBe(rules.length);
    expect(new Set(rules.map((r) => r.rule.name)).size).toBe(rules.length);
    for (const { file, rule } of detections) {
      expect(rule.logsource?.product, file).toBe('zendesk');
      expect(Object.keys(STREAM_OF_SERVICE), file).toContain(rule.logsource?.service);
    }
  });

  it('read only fields the OCSF events of their service have', () => {
    const missing: string[] = [];
    for (const { file, rule } of detections) {
      const paths = dottedPaths(bySourcetype.get(STREAM_OF_SERVICE[rule.logsource!.service!]!)!);
      for (const f of [...sigmaFields(rule), ...(rule.fields ?? [])]) if (!paths.has(f)) missing.push(`${file}: ${f}`);
    }
    expect(missing).toEqual([]);
  });

  it('each risk-label rule matches exactly the corpus events that carry the label, and some', () => {
    for (const r of RISK_RULES) {
      const found = detections.filter(({ rule }) => JSON.stringify(rule.detection).includes(`"risk:${r.id}"`));
      expect(found.map((f) => f.file), r.id).toEqual([`zendesk_${r.id}.yml`]);
      const rule = found[0]!.rule;
      const events = bySourcetype.get(STREAM_OF_SERVICE[rule.logsource!.service!]!)!;
      const labelled = events.filter((e) => valuesAt(e, 'metadata.labels').includes(`risk:${r.id}`));
      const matched = events.filter((e) => sigmaMatches(rule, e));
      expect(labelled.length, r.id).toBeGreaterThan(0);
      expect(matched, r.id).toEqual(labelled);
    }
  });

  // The deleted-tickets corpus (helpers.ts) has a burst of count + 3 deletions by one actor and
  // a near miss of count - 1 by another: the rule sees the burst from its Nth deletion on only.
  it('the mass-deletion label rule catches the burst from its Nth deletion on, not the near miss', () => {
    const { rule } = detections.find((d) => d.rule.name === 'zendesk_mass_ticket_deletion')!;
    const events = bySourcetype.get('zendesk:deleted_ticket:ocsf')!;
    const actor = (e: Json) => valuesAt(e, 'actor.user.uid')[0];
    const matched = events.filter((e) => sigmaMatches(rule, e));
    expect(matched.map(actor)).toEqual(Array(4).fill('1077'));
    const burst = events.filter((e) => actor(e) === '1077');
    expect(burst).toHaveLength(MASS_DELETION_DEFAULT.count + 3);
    expect(matched).toEqual(burst.slice(MASS_DELETION_DEFAULT.count - 1));
    expect(events.filter((e) => actor(e) === '1041')).toHaveLength(MASS_DELETION_DEFAULT.count - 1);
  });

  it('the building block for mass deletion matches successful ticket deletions in the access log', () => {
    const { rule } = detections.find((d) => d.rule.name === 'zendesk_ticket_deleted')!;
    const matched = bySourcetype.get('zendesk:access:ocsf')!.filter((e) => sigmaMatches(rule, e));
    expect(matched.length).toBeGreaterThan(0);
    for (const e of matched) expect([e.activity_name, e.status, valuesAt(e, 'resources.type')]).toEqual(['Delete', 'Success', ['tickets']]);
  });

  it('the evaluator can say no: a label rule does not match an event without the label', () => {
    const { rule } = detections.find((d) => d.rule.name === 'zendesk_failed_sign_in')!;
    const event = bySourcetype.get('zendesk:audit:ocsf')!.find((e) => sigmaMatches(rule, e))!;
    const copy = JSON.parse(JSON.stringify(event)) as Json;
    (copy.metadata as Json).labels = ['risk:new_ip_sign_in'];
    expect(sigmaMatches(rule, copy)).toBe(false);
    expect(() => sigmaMatches({ ...rule, detection: { ...rule.detection!, condition: '1 of selection*' } }, event)).toThrow(/outside the supported subset/);
  });
});

describe('Sigma threshold correlations', () => {
  it('cover failed sign-ins per user and per IP, mass export and ticket deletion bursts', () => {
    expect(correlations.map((c) => c.rule.name).sort()).toEqual(['zendesk_failed_sign_in_burst_ip', 'zendesk_failed_sign_in_burst_user', 'zendesk_mass_export', 'zendesk_ticket_deletion_burst']);
  });

  // Events without the group-by field (the corpus has failed sign-ins with no IP) are not
  // counted by a per-IP correlation; the per-user one still sees them.
  it('count events of existing rules, grouped by fields the matched events have', () => {
    for (const { file, rule } of correlations) {
      const c = rule.correlation!;
      expect(c.type, file).toBe('event_count');
      expect(c.condition.gte, file).toBeGreaterThanOrEqual(5);
      for (const name of c.rules) {
        const base = detections.find((d) => d.rule.name === name);
        expect(base, `${file}: ${name}`).toBeDefined();
        const matched = bySourcetype.get(STREAM_OF_SERVICE[base!.rule.logsource!.service!]!)!.filter((e) => sigmaMatches(base!.rule, e));
        expect(matched.length, file).toBeGreaterThan(0);
        for (const g of c['group-by'] ?? []) {
          expect(matched.every((e) => valuesAt(e, g).length <= 1), `${file}: ${g} is one value`).toBe(true);
          expect(matched.filter((e) => valuesAt(e, g).length === 1).length / matched.length, `${file}: ${g}`).toBeGreaterThan(0.5);
        }
      }
    }
  });

  it('fire on the events they are meant to catch: mass export in the corpus, bursts built from corpus events', () => {
    const base = (c: SigmaRule) => c.correlation!.rules.map((n) => detections.find((d) => d.rule.name === n)!.rule);
    const serviceEvents = (c: SigmaRule) => bySourcetype.get(STREAM_OF_SERVICE[base(c)[0]!.logsource!.service!]!)!;
    for (const { file, rule } of correlations) {
      const min = rule.correlation!.condition.gte!;
      const events = serviceEvents(rule);
      const inCorpus = eventCountPeak(rule, base(rule), events);
      if (rule.name === 'zendesk_mass_export') expect(inCorpus, file).toBeGreaterThanOrEqual(min);
      // A burst: one matching corpus event repeated 1 s apart, min times fires, min - 1 does not
      // (on its own; the rest of the corpus is left out so that its own groups do not interfere).
      const sample = events.find((e) => base(rule).some((b) => sigmaMatches(b, e)) && (rule.correlation!['group-by'] ?? []).every((g) => valuesAt(e, g).length === 1))!;
      const burst = (n: number) => Array.from({ length: n }, (_, i) => ({ ...sample, time: (sample.time as number) + i * 1000 }));
      expect(eventCountPeak(rule, base(rule), burst(min)), file).toBe(min);
      expect(eventCountPeak(rule, base(rule), burst(min - 1)), file).toBe(min - 1);
      // spread beyond the timespan, the same count does not fire
      const spread = burst(min).map((e, i) => ({ ...e, time: (sample.time as number) + i * 3 * 3_600_000 }));
      expect(eventCountPeak(rule, base(rule), spread), file).toBe(1);
    }
  });
});

// Static checks of the Helm chart (no Helm binary in CI): the values schema against
// values.yaml and every examples/helm file, the zsf config inside each against zsf's own
// validation, `.Values` references in templates against values.yaml (both ways), the alert and
// dashboard queries against the metrics zsf exports, and the generated files being current.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { buildDashboard, CHART_DIR, DASHBOARD_FILE, generated, ROOT, valuesDocs } from './chart-gen.js';
import {
  chartValues,
  hasPath,
  helmExampleFiles,
  helmMerge,
  interpolations,
  isObj,
  mergedValues,
  podEnvironment,
  templateFiles,
  validateChartConfig,
  valuesReferences,
  type Json,
} from './helpers.js';

const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Json;

function validator(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  // Formats zod emits; Helm's validator checks them too. Loose on purpose: the exact URL and
  // time rules are zsf's own, checked by the config validation below.
  ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\/\/\S+$/i);
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /T/.test(s));
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv.compile(schema);
}
const validate = validator();
const errorsOf = (values: unknown) => (validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
const withConfig = (patch: (config: Json) => void): Json => {
  const v = structuredClone(chartValues());
  patch(v.config as Json);
  return v;
};

describe('Chart.yaml', () => {
  it('is a v2 application chart whose appVersion is the package version', () => {
    const chart = parseYaml(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as Json;
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'zendesk-siem-forwarder', type: 'application', appVersion: pkg.version });
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('generated files', () => {
  it.each(generated().map((g) => [g.file.slice(ROOT.length), g] as const))('%s is current (npx tsx test/deploy/chart-gen.ts --write)', (_name, g) => {
    expect(readFileSync(g.file, 'utf8')).toBe(g.expected);
  });
});

describe('values.schema.json', () => {
  it('validates values.yaml', () => {
    expect(errorsOf(chartValues())).toEqual([]);
  });

  it.each(helmExampleFiles())('validates examples/helm/%s merged into the defaults as Helm does', (file) => {
    expect(errorsOf(mergedValues(file))).toEqual([]);
  });

  it('rejects what a typo or a wrong idea would put in a values file', () => {
    const cases: [string, Json][] = [
      ['unknown top-level key', { ...chartValues(), replica: 1 }],
      ['two replicas', { ...chartValues(), replicas: 2 }],
      ['misspelt persistence key', helmMerge(chartValues(), { persistence: { sise: '5Gi' } }) as Json],
      ['bad quantity', helmMerge(chartValues(), { persistence: { size: '10 GB' } }) as Json],
      ['config.dataDir (chart-managed)', withConfig((c) => (c.dataDir = '/elsewhere'))],
      ['config.api (chart-managed)', withConfig((c) => (c.api = { listen: '0.0.0.0:1' }))],
      ['misspelt config key', withConfig((c) => ((c.sinks as Json[])[0]!.bufer = { type: 'disk' }))],
      ['unknown sink type', withConfig((c) => ((c.sinks as Json[])[0]!.type = 'splunk_hex'))],
      ['wrong type in config', withConfig((c) => (((c.zendesk as Json).accounts as Json[])[0]!.requestsPerMinute = 'many'))],
      ['secret key that is no valid file name', helmMerge(chartValues(), { secrets: { data: { 'a/b': 'x' } } }) as Json],
      ['bad alert severity', helmMerge(chartValues(), { prometheusRule: { alerts: { sourceLag: { severity: 'loud' } } } }) as Json],
    ];
    for (const [what, values] of cases) expect(errorsOf(values), what).not.toEqual([]);
  });

  it('accepts ${…} where zsf expects a number, enum or URL, since zsf interpolates before it validates', () => {
    const v = withConfig((c) => {
      const account = ((c.zendesk as Json).accounts as Json[])[0]!;
      account.requestsPerMinute = '${ZENDESK_RPM}';
      (c.log as Json).level = '${LOG_LEVEL:-info}';
      (c.sinks as Json[])[0] = { id: 'hec', type: 'splunk_hec', inputs: ['ocsf'], endpoint: '${SPLUNK_HEC_URL}', token: 'x', concurrency: '${HEC_CONCURRENCY}' };
    });
    expect(errorsOf(v)).toEqual([]);
    // ... but a discriminator stays strict
    expect(errorsOf(withConfig((c) => ((c.sinks as Json[])[0]!.type = '${SINK_TYPE}')))).not.toEqual([]);
  });
});

describe('the zsf config in each values file', () => {
  const files: [string, string | undefined][] = [['values.yaml', undefined], ...helmExampleFiles().map((f) => [`examples/helm/${f}`, f] as [string, string])];

  it.each(files)('%s passes zsf validation, with every ${VAR} set by env and every ${file:} a key of the secret', (_name, file) => {
    const values = mergedValues(file);
    const loaded = validateChartConfig(values);
    expect(loaded.pod.problems).toEqual([]);
    expect(loaded.config.dataDir).toBe('/data');
    expect(loaded.config.api).toEqual({ enabled: true, listen: '0.0.0.0:9464' });
    expect(loaded.config.sources.length).toBeGreaterThan(0);
    // secrets read from files are registered for scrubbing (the dummy files hold "dummy-<key>")
    const keys = [...interpolations(values.config).files].map((f) => f.split('/').pop()!);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(loaded.secrets.scrub(`x dummy-${k} y`)).not.toContain(`dummy-${k}`);
  });

  it('catches a config whose secret key the chart does not create, or whose variable env does not set', () => {
    const v = helmMerge(chartValues(), {
      config: { sinks: [{ id: 'hec', type: 'splunk_hec', inputs: ['ocsf'], endpoint: '${SPLUNK_HEC_URL}', token: '${file:/run/secrets/zsf/splunk-hec-token}' }] },
    }) as Json;
    expect(podEnvironment(v).problems).toEqual([
      'config uses ${SPLUNK_HEC_URL} but env does not set SPLUNK_HEC_URL',
      'config reads ${file:/run/secrets/zsf/splunk-hec-token} but secrets.data has no key "splunk-hec-token"',
    ]);
  });

  it('fails zsf validation for a graph the schema cannot see (a sink reading an unknown input)', () => {
    const v = withConfig((c) => ((c.sinks as Json[])[0]!.inputs = ['ocsff']));
    expect(errorsOf(v)).toEqual([]); // schema-valid...
    expect(() => validateChartConfig(v)).toThrow(ConfigError); // ...but zsf would refuse it at start
    expect(() => validateChartConfig(v)).toThrow(/did you mean "ocsf"/);
  });
});

describe('templates', () => {
  const templates = templateFiles();
  const values = chartValues();

  it('refer only to values that exist in values.yaml', () => {
    const missing = templates.flatMap((t) => valuesReferences(t.text).filter((p) => !hasPath(values, p)).map((p) => `${t.name}: .Values.${p}`));
    expect(templates.length).toBeGreaterThanOrEqual(12);
    expect(missing).toEqual([]);
  });

  it('use every documented value (no value that does nothing)', () => {
    const used = templates.flatMap((t) => valuesReferences(t.text));
    const unused = valuesDocs(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'))
      .map((d) => d.path)
      .filter((p) => !used.some((u) => u === p || u.startsWith(`${p}.`) || p.startsWith(`${u}.`)));
    expect(unused).toEqual([]);
  });

  it('documents every key of values.yaml outside free-form maps with a `# --` comment', () => {
    const documented = new Set(valuesDocs(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')).map((d) => d.path));
    // Mappings whose children are documented one by one; the rest are documented as a whole.
    const sections = ['image', 'secrets', 'persistence', 'serviceAccount', 'service', 'serviceMonitor', 'prometheusRule', 'prometheusRule.alerts', 'grafanaDashboard', 'podDisruptionBudget', 'networkPolicy', 'networkPolicy.egress', 'webhook', 'webhook.service', 'webhook.ingress'];
    const missing: string[] = [];
    const visit = (obj: Json, prefix: string) => {
      for (const [k, v] of Object.entries(obj)) {
        const path = prefix ? `${prefix}.${k}` : k;
        const isSection = sections.includes(path) || (prefix === 'prometheusRule.alerts' && isObj(v)) || (prefix === 'networkPolicy.egress' && isObj(v));
        if (isSection && isObj(v)) visit(v, path);
        else if (!documented.has(path)) missing.push(path);
      }
    };
    visit(values, '');
    expect(missing).toEqual([]);
  });

  it('balance their if/with/range/define blocks with end', () => {
    for (const t of templates) {
      const opens = [...t.text.matchAll(/\{\{-?\s*(if|with|range|define)\b/g)].length;
      const ends = [...t.text.matchAll(/\{\{-?\s*end\s*-?\}\}/g)].length;
      expect(ends, t.name).toBe(opens);
    }
  });

  it('pin the security settings and the data volume the image relies on', () => {
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.persistence).toMatchObject({ enabled: true, mountPath: '/data' });
    expect(values.replicas).toBe(1);
    const sts = templates.find((t) => t.name === 'statefulset.yaml')!.text;
    expect(sts).toContain('kind: StatefulSet');
    expect(sts).toContain('volumeClaimTemplates:');
    expect(sts).toMatch(/- name: tmp\s+mountPath: \/tmp/); // the only other writable path
    expect(sts).toContain('checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}');
    expect(sts).toContain('{{- with .Values.livenessProbe }}');
    expect(sts).toContain('{{- with .Values.readinessProbe }}');
    expect((values.livenessProbe as Json).httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect((values.readinessProbe as Json).httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    // terminationGracePeriodSeconds leaves room for zsf's default 30 s drain
    expect(values.terminationGracePeriodSeconds as number).toBeGreaterThan(30);
  });
});

describe('alerts and dashboard queries', () => {
  const families = new Map<string, string>();
  const known = async () => {
    if (!families.size) for (const m of await createMetrics({ defaultMetrics: true }).registry.getMetricsAsJSON()) families.set(m.name, String(m.type));
    return families;
  };
  const series = async (name: string) => {
    const f = await known();
    if (f.has(name)) return true;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && f.get(base) === 'histogram';
  };

  it('the PrometheusRule has the alerts of the issue and queries only metrics zsf exports', async () => {
    const text = templateFiles().find((t) => t.name === 'prometheusrule.yaml')!.text;
    const alerts = [...text.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(alerts).toEqual(['ZsfSourceLagging', 'ZsfSinkErrors', 'ZsfBufferFilling', 'ZsfDeadLetters', 'ZsfEventsDropped', 'ZsfZendeskRateLimited', 'ZsfComponentDown', 'ZsfMetricsAbsent']);
    const names = new Set([...text.matchAll(/\bzsf_[a-z_]+/g)].map((m) => m[0]));
    expect(names.size).toBeGreaterThanOrEqual(8);
    for (const n of names) expect(await series(n), n).toBe(true);
    // every alert of the issue is there and toggled by its own value
    for (const key of Object.keys(((chartValues().prometheusRule as Json).alerts as Json))) expect(text).toContain(`$a.${key}.enabled`);
  });

  it('the dashboard shows records, lag, 429s, latency, buffer fill and dead letters, from metrics zsf exports', async () => {
    const dash = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
    expect(dash).toEqual(buildDashboard());
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\bzsf_[a-z_]+/g)].map((m) => m[0])));
    for (const n of names) expect(await series(n), n).toBe(true);
    for (const needed of ['zsf_source_records_total', 'zsf_sink_events_sent_total', 'zsf_source_lag_seconds', 'zsf_source_requests_total', 'zsf_sink_request_seconds_bucket', 'zsf_buffer_bytes', 'zsf_buffer_max_bytes', 'zsf_dead_letters_total']) {
      expect(names.has(needed), needed).toBe(true);
    }
    expect(exprs.some((e) => e.includes('code="429"'))).toBe(true);
    // balanced parentheses and braces in every query
    for (const e of exprs) {
      let depth = 0;
      for (const c of e.replace(/"[^"]*"/g, '')) {
        depth += c === '(' || c === '{' || c === '[' ? 1 : c === ')' || c === '}' || c === ']' ? -1 : 0;
        expect(depth, e).toBeGreaterThanOrEqual(0);
      }
      expect(depth, e).toBe(0);
    }
  });
});

// The Helm chart's derived files, generated from their sources so they cannot drift:
//   - values.schema.json `properties.config` (+ `definitions`): the product's own config schema
//     (zod -> JSON Schema draft-07, as `zsf config schema` prints it), adapted to values files;
//   - the values table in the chart README, from the `# --` comments of values.yaml;
//   - the Grafana dashboard JSON.
// `npx tsx test/deploy/chart-gen.ts --write` rewrites them; test/deploy/helm-chart.test.ts
// fails when a committed file differs from what this produces.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema } from '../../src/app/config.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHART_DIR = join(ROOT, 'helm', 'zendesk-siem-forwarder');
export const DASHBOARD_FILE = join(CHART_DIR, 'dashboards', 'zendesk-siem-forwarder.json');

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// ------------------------------------------------------------------------ values.schema.json

/** Keys of the product config that the chart sets itself (the template fails if a user sets them). */
export const CHART_MANAGED_CONFIG_KEYS = ['dataDir', 'api'];
const DEF_PREFIX = 'zsfConfig_';
/** A string that interpolation will replace: `${VAR}`, `${VAR:-default}`, `${file:/path}`. */
export const INTERPOLATED = { type: 'string', pattern: '\\$\\{[^}]+\\}' };

/**
 * A leaf that constrains strings (pattern, format, enum, maxLength) or expects a non-string
 * also accepts a string with `${…}`: the schema checks the values file, before zsf replaces
 * them. Discriminators (`const`) stay strict, so a misspelt `type:` is still caught.
 */
function acceptInterpolation(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(acceptInterpolation);
  if (!isObj(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'properties' || k === 'definitions' || k === 'patternProperties') {
      out[k] = Object.fromEntries(Object.entries(v as Json).map(([pk, pv]) => [pk, acceptInterpolation(pv)]));
    } else if (k === 'items' || k === 'additionalProperties' || k === 'anyOf' || k === 'oneOf' || k === 'allOf') {
      out[k] = acceptInterpolation(v);
    } else out[k] = v;
  }
  const types = Array.isArray(out.type) ? (out.type as string[]) : typeof out.type === 'string' ? [out.type] : [];
  const isLeaf = types.length > 0 && !types.includes('object') && !types.includes('array');
  if (!isLeaf || 'const' in out) return out;
  const constrainsStrings = ['pattern', 'format', 'enum', 'maxLength'].some((k) => k in out);
  const acceptsAnyString = types.includes('string') && !constrainsStrings;
  if (acceptsAnyString) return out;
  const { description, default: def, ...rest } = out;
  return { ...(description !== undefined ? { description } : {}), ...(def !== undefined ? { default: def } : {}), anyOf: [rest, INTERPOLATED] };
}

function renameRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(renameRefs);
  if (!isObj(node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/definitions/', `#/definitions/${DEF_PREFIX}`) : renameRefs(v)]),
  );
}

/** The product config schema as it sits in values.schema.json: `config` and the definitions it refers to. */
export function chartConfigSchema(): { config: Json; definitions: Json } {
  const raw = z.toJSONSchema(configSchema(), { io: 'input', unrepresentable: 'any', target: 'draft-07' }) as Json;
  const { $schema: _schema, definitions = {}, ...config } = raw;
  const props = { ...(config.properties as Json) };
  for (const k of CHART_MANAGED_CONFIG_KEYS) delete props[k];
  config.properties = props;
  config.description =
    'The zsf config file (`zsf config schema`), except dataDir and api, which the chart sets. Strings may hold ${VAR}, ${VAR:-default} and ${file:PATH}.';
  const relaxed = renameRefs(acceptInterpolation(config)) as Json;
  const defs = Object.fromEntries(Object.entries(definitions as Json).map(([k, v]) => [`${DEF_PREFIX}${k}`, renameRefs(acceptInterpolation(v))]));
  return { config: relaxed, definitions: defs };
}

export function buildValuesSchema(current: Json): Json {
  const { config, definitions } = chartConfigSchema();
  const properties = { ...(current.properties as Json), config };
  const rest = Object.fromEntries(Object.entries(current).filter(([k]) => k !== 'definitions' && k !== 'properties'));
  return { ...rest, properties, ...(Object.keys(definitions).length ? { definitions } : {}) };
}

// --------------------------------------------------------------------- values table (README)

export interface ValueDoc {
  path: string;
  type: string;
  default: string;
  description: string;
}

/**
 * Keys preceded by a `# -- description` comment (helm-docs style: more `#` lines continue it).
 * Paths come from indentation; keys inside a documented mapping that are not documented
 * themselves are folded into their parent's default.
 */
export function valuesDocs(text: string): ValueDoc[] {
  const values = parseYaml(text) as Json;
  const lines = text.split('\n');
  const stack: { indent: number; key: string }[] = [];
  const docs: ValueDoc[] = [];
  let comment: string[] | null = null;
  for (const line of lines) {
    const c = /^(\s*)#\s?(.*)$/.exec(line);
    if (c) {
      if (c[2]!.startsWith('-- ')) comment = [c[2]!.slice(3)];
      else if (comment && c[2]!.trim() && !/^\s*-?\s*[\w.-]+:/.test(c[2]!)) comment.push(c[2]!.trim());
      continue;
    }
    const k = /^(\s*)([A-Za-z_][\w.-]*):(\s|$)/.exec(line);
    if (!k) {
      if (line.trim() === '') comment = null;
      continue;
    }
    const indent = k[1]!.length;
    while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    stack.push({ indent, key: k[2]! });
    if (comment) {
      const path = stack.map((s) => s.key);
      let v: unknown = values;
      for (const p of path) v = isObj(v) ? v[p] : undefined;
      docs.push({ path: path.join('.'), type: typeOf(v), default: defaultText(v), description: comment.join(' ') });
    }
    comment = null;
  }
  return docs;
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (v === null) return 'null';
  if (isObj(v)) return 'object';
  return typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v;
}

function defaultText(v: unknown): string {
  const s = JSON.stringify(v);
  const short = s.length > 80 ? 'see values.yaml' : s;
  return '`' + short.replace(/\|/g, '\\|') + '`';
}

export function valuesTable(docs: ValueDoc[]): string {
  const rows = docs.map((d) => `| \`${d.path}\` | ${d.type} | ${d.default} | ${d.description.replace(/\|/g, '\\|')} |`);
  return ['| Key | Type | Default | Description |', '|---|---|---|---|', ...rows].join('\n');
}

const TABLE_START = '<!-- values-table:start (generated by test/deploy/chart-gen.ts from values.yaml) -->';
const TABLE_END = '<!-- values-table:end -->';

export function withValuesTable(readme: string, table: string): string {
  const a = readme.indexOf(TABLE_START);
  const b = readme.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the markers ${TABLE_START} … ${TABLE_END}`);
  return readme.slice(0, a) + TABLE_START + '\n' + table + '\n' + readme.slice(b);
}

// --------------------------------------------------------------------------- Grafana dashboard

const SEL = 'namespace=~"$namespace", pod=~"$pod"';
const RI = '$__rate_interval';

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: { expr: string; legend: string }[];
  kind?: 'timeseries' | 'stat';
  max?: number;
}

const ROWS: { title: string; panels: PanelSpec[] }[] = [
  {
    title: 'Sources (Zendesk)',
    panels: [
      {
        title: 'Records in per source',
        description: 'Records read from Zendesk per second (zsf_source_records_total).',
        unit: 'short',
        targets: [{ expr: `sum by (source, stream) (rate(zsf_source_records_total{${SEL}}[${RI}]))`, legend: '{{source}} ({{stream}})' }],
      },
      {
        title: 'Source lag',
        description: 'Now minus the upstream time the committed checkpoint has reached (zsf_source_lag_seconds).',
        unit: 's',
        targets: [{ expr: `max by (source) (zsf_source_lag_seconds{${SEL}})`, legend: '{{source}}' }],
      },
      {
        title: 'Zendesk requests by status',
        description: 'Requests per second by HTTP status ("error" = no answer).',
        unit: 'reqps',
        targets: [{ expr: `sum by (source, code) (rate(zsf_source_requests_total{${SEL}}[${RI}]))`, legend: '{{source}} {{code}}' }],
      },
      {
        title: 'Zendesk 429s',
        description: '429 Too Many Requests answers per interval. A few are normal near the budget; a steady stream means the account budget (requestsPerMinute) is too high or shared.',
        unit: 'short',
        targets: [{ expr: `sum by (source) (increase(zsf_source_requests_total{${SEL}, code="429"}[${RI}]))`, legend: '{{source}}' }],
      },
      {
        title: 'Zendesk rate limit remaining',
        description: 'Last X-Rate-Limit-Remaining / ratelimit-remaining Zendesk reported, per account.',
        unit: 'short',
        targets: [{ expr: `min by (account) (zsf_zendesk_rate_limit_remaining{${SEL}})`, legend: '{{account}}' }],
      },
      {
        title: 'Checkpoint commits',
        description: 'Checkpoint commits per second per source: a source whose commits stop is stuck, whatever it reads.',
        unit: 'ops',
        targets: [{ expr: `sum by (source) (rate(zsf_checkpoint_commits_total{${SEL}}[${RI}]))`, legend: '{{source}}' }],
      },
    ],
  },
  {
    title: 'Sinks',
    panels: [
      {
        title: 'Events out per sink',
        description: 'Events accepted by each destination per second (zsf_sink_events_sent_total).',
        unit: 'short',
        targets: [{ expr: `sum by (sink) (rate(zsf_sink_events_sent_total{${SEL}}[${RI}]))`, legend: '{{sink}}' }],
      },
      {
        title: 'Bytes out per sink',
        description: 'Bytes sent to each destination per second, after compression.',
        unit: 'Bps',
        targets: [{ expr: `sum by (sink) (rate(zsf_sink_bytes_sent_total{${SEL}}[${RI}]))`, legend: '{{sink}}' }],
      },
      {
        title: 'Request latency',
        description: 'Duration of one delivery request (zsf_sink_request_seconds), p50 / p95 / p99.',
        unit: 's',
        targets: [0.5, 0.95, 0.99].map((q) => ({
          expr: `histogram_quantile(${q}, sum by (le, sink) (rate(zsf_sink_request_seconds_bucket{${SEL}}[${RI}])))`,
          legend: `{{sink}} p${Math.round(q * 100)}`,
        })),
      },
      {
        title: 'Delivery errors and retries',
        description: 'Failed delivery attempts by reason, and retries, per second.',
        unit: 'short',
        targets: [
          { expr: `sum by (sink, reason) (rate(zsf_sink_errors_total{${SEL}}[${RI}]))`, legend: '{{sink}} error {{reason}}' },
          { expr: `sum by (sink) (rate(zsf_sink_retries_total{${SEL}}[${RI}]))`, legend: '{{sink}} retries' },
        ],
      },
      {
        title: 'Buffer fill',
        description: 'Buffered bytes / the buffer bound (zsf_buffer_bytes / zsf_buffer_max_bytes). At 100 % the sources stop reading (whenFull: block).',
        unit: 'percentunit',
        max: 1,
        targets: [{ expr: `max by (sink) (zsf_buffer_bytes{${SEL}} / (zsf_buffer_max_bytes{${SEL}} > 0))`, legend: '{{sink}}' }],
      },
      {
        title: 'Buffered events',
        description: 'Events waiting in each sink buffer (in flight included).',
        unit: 'short',
        targets: [{ expr: `sum by (sink) (zsf_buffer_events{${SEL}})`, legend: '{{sink}}' }],
      },
    ],
  },
  {
    title: 'Health',
    panels: [
      {
        title: 'Dead letters',
        description: 'Records or events written to dataDir/dead-letter, by component and reason.',
        unit: 'short',
        targets: [{ expr: `sum by (component, reason) (increase(zsf_dead_letters_total{${SEL}}[${RI}]))`, legend: '{{component}} {{reason}}' }],
      },
      {
        title: 'Events dropped',
        description: 'Events dropped by a full buffer with whenFull: drop_newest (lost for that sink).',
        unit: 'short',
        targets: [{ expr: `sum by (sink) (increase(zsf_events_dropped_total{${SEL}}[${RI}]))`, legend: '{{sink}}' }],
      },
      {
        title: 'Components down',
        description: 'Sources, transforms and sinks that failed or are refused by their destination (zsf_component_up == 0). /readyz says why.',
        unit: 'short',
        kind: 'stat',
        targets: [{ expr: `count(zsf_component_up{${SEL}} == 0) or vector(0)`, legend: 'down' }],
      },
      {
        title: 'Process memory',
        description: 'Resident memory and V8 heap of the zsf process (compare with the container memory limit).',
        unit: 'bytes',
        targets: [
          { expr: `sum by (pod) (process_resident_memory_bytes{${SEL}})`, legend: '{{pod}} RSS' },
          { expr: `sum by (pod) (nodejs_heap_size_used_bytes{${SEL}})`, legend: '{{pod}} heap used' },
        ],
      },
    ],
  },
];

export function buildDashboard(): Json {
  const ds = { type: 'prometheus', uid: '${datasource}' };
  const panels: Json[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    row.panels.forEach((p, i) => {
      const w = 8;
      panels.push({
        id: id++,
        type: p.kind ?? 'timeseries',
        title: p.title,
        description: p.description,
        datasource: ds,
        gridPos: { h: 8, w, x: (i % 3) * w, y: y + Math.floor(i / 3) * 8 },
        fieldConfig: { defaults: { unit: p.unit, ...(p.max !== undefined ? { min: 0, max: p.max } : {}) }, overrides: [] },
        options: p.kind === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background' } : { legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
        targets: p.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), datasource: ds, expr: t.expr, legendFormat: t.legend })),
      });
    });
    y += Math.ceil(row.panels.length / 3) * 8;
  }
  return {
    __inputs: [],
    uid: 'zendesk-siem-forwarder',
    title: 'Zendesk SIEM Forwarder',
    description: 'zsf: records in per source, events and bytes out per sink, lag, Zendesk 429s, request latency, buffer fill, dead letters.',
    tags: ['zendesk', 'siem', 'zsf'],
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    timezone: 'browser',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'namespace',
          label: 'Namespace',
          type: 'query',
          datasource: ds,
          query: { query: 'label_values(zsf_component_up, namespace)', refId: 'namespace' },
          definition: 'label_values(zsf_component_up, namespace)',
          includeAll: true,
          allValue: '.*',
          multi: true,
          refresh: 2,
          current: {},
          hide: 0,
        },
        {
          name: 'pod',
          label: 'Pod',
          type: 'query',
          datasource: ds,
          query: { query: 'label_values(zsf_component_up{namespace=~"$namespace"}, pod)', refId: 'pod' },
          definition: 'label_values(zsf_component_up{namespace=~"$namespace"}, pod)',
          includeAll: true,
          allValue: '.*',
          multi: true,
          refresh: 2,
          current: {},
          hide: 0,
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

// --------------------------------------------------------------------------------- the files

export function generated(): { file: string; expected: string }[] {
  const schemaFile = join(CHART_DIR, 'values.schema.json');
  const readmeFile = join(CHART_DIR, 'README.md');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Json;
  const docs = valuesDocs(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'));
  return [
    { file: schemaFile, expected: JSON.stringify(buildValuesSchema(schema), null, 2) + '\n' },
    { file: readmeFile, expected: withValuesTable(readFileSync(readmeFile, 'utf8'), valuesTable(docs)) },
    { file: DASHBOARD_FILE, expected: JSON.stringify(buildDashboard(), null, 2) + '\n' },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const write = process.argv.includes('--write');
  let stale = 0;
  for (const g of generated()) {
    let current = '';
    try {
      current = readFileSync(g.file, 'utf8');
    } catch {
      // missing: written below
    }
    if (current === g.expected) continue;
    stale++;
    if (write) writeFileSync(g.file, g.expected);
    console.log(`${write ? 'wrote' : 'stale'}: ${g.file.slice(ROOT.length)}`);
  }
  if (!write && stale) process.exitCode = 1;
}

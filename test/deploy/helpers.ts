// Helpers for the static chart tests: Helm's values merge, reading the chart, the config a
// values file produces, and the `.Values` paths templates refer to.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfigObject, type LoadedConfig } from '../../src/app/config.js';
import { tempDir } from '../support/temp-dir.js';
import { CHART_DIR, ROOT } from './chart-gen.js';

export type Json = Record<string, unknown>;
export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// From test/support/temp-dir.ts, not probe.ts: importing probe.ts registers the probe plugins,
// which would change the config schema these tests compare with values.schema.json.
export { tempDir };

export const EXAMPLES_HELM_DIR = join(ROOT, 'examples', 'helm');

/**
 * Helm's coalescing of a user values file into the chart defaults: maps merge key by key,
 * anything else (lists included) replaces, and a null removes the key.
 */
export function helmMerge(defaults: unknown, override: unknown): unknown {
  if (!isObj(defaults) || !isObj(override)) return override === undefined ? defaults : override;
  const out: Json = { ...defaults };
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else out[k] = k in defaults ? helmMerge(defaults[k], v) : v;
  }
  return out;
}

export function readYaml(file: string): Json {
  return (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Json;
}

export function chartValues(): Json {
  return readYaml(join(CHART_DIR, 'values.yaml'));
}

export function helmExampleFiles(): string[] {
  return readdirSync(EXAMPLES_HELM_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
}

/** The values Helm would see for an install with `-f examples/helm/<file>` (or the defaults). */
export function mergedValues(exampleFile?: string): Json {
  const defaults = chartValues();
  return exampleFile ? (helmMerge(defaults, readYaml(join(EXAMPLES_HELM_DIR, exampleFile))) as Json) : defaults;
}

/** What templates/_helpers.tpl "zsf.config" writes into the ConfigMap. */
export function renderedConfig(values: Json): Json {
  const config = structuredClone((values.config ?? {}) as Json);
  const port = (values.service as Json).port as number;
  return { ...config, dataDir: (values.persistence as Json).mountPath, api: { enabled: true, listen: `0.0.0.0:${port}` } };
}

/** `${VAR}` names used without a default, and `${file:PATH}` paths, in every string of a config. */
export function interpolations(value: unknown): { vars: Set<string>; files: Set<string> } {
  const vars = new Set<string>();
  const files = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) {
        const expr = m[1]!;
        if (expr.startsWith('file:')) files.add(expr.slice(5).trim());
        else if (!expr.includes(':-')) vars.add(expr);
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) Object.values(v).forEach(walk);
  };
  walk(value);
  return { vars, files };
}

export interface PodEnvironment {
  env: Record<string, string>;
  /** Problems a pod would hit at start: variables nobody sets, secret keys nobody provides. */
  problems: string[];
  /** The rendered config with secret file paths moved to a temp dir holding dummy secrets. */
  config: Json;
  dir: string;
}

/**
 * The pod's view of a values file: environment from `env` (empty values, meant to be set at
 * install, get a placeholder), secret keys as files (dummy contents), and what would be missing.
 */
export function podEnvironment(values: Json, config: Json = renderedConfig(values)): PodEnvironment {
  const problems: string[] = [];
  const dir = tempDir('zsf-chart-');
  const { vars, files } = interpolations(config);

  const env: Record<string, string> = {};
  for (const e of (values.env ?? []) as { name: string; value?: string; valueFrom?: unknown }[]) env[e.name] = e.value ? e.value : `placeholder-${e.name.toLowerCase().replace(/_/g, '-')}`;
  const hasEnvFrom = ((values.envFrom ?? []) as unknown[]).length > 0;
  for (const v of vars) if (!(v in env) && !hasEnvFrom) problems.push(`config uses \${${v}} but env does not set ${v}`);

  const secrets = values.secrets as { existingSecret?: string; data?: Record<string, string>; mountPath: string };
  const mount = secrets.mountPath.replace(/\/+$/, '');
  const secretDir = join(dir, 'secrets');
  mkdirSync(secretDir, { recursive: true });
  let text = JSON.stringify(config);
  for (const f of files) {
    if (!f.startsWith(`${mount}/`)) {
      problems.push(`config reads \${file:${f}}, outside the secret mount ${mount}/ (add the volume with extraVolumes/extraVolumeMounts, or use a key of the secret)`);
      continue;
    }
    const key = f.slice(mount.length + 1);
    if (!secrets.existingSecret && !(key in (secrets.data ?? {}))) problems.push(`config reads \${file:${f}} but secrets.data has no key "${key}"`);
    writeFileSync(join(secretDir, key), `dummy-${key}\n`);
  }
  text = text.split(`\${file:${mount}/`).join(`\${file:${secretDir}/`);
  return { env, problems, config: JSON.parse(text) as Json, dir };
}

/** zsf's own validation (schema, interpolation, graph) of the config a values file produces. */
export function validateChartConfig(values: Json, config?: Json): LoadedConfig & { pod: PodEnvironment } {
  const pod = podEnvironment(values, config);
  const loaded = loadConfigObject(pod.config, { env: pod.env, baseDir: pod.dir });
  return { ...loaded, pod };
}

// ------------------------------------------------------------------- templates and .Values

export function templateFiles(): { name: string; text: string }[] {
  const dir = join(CHART_DIR, 'templates');
  const out: { name: string; text: string }[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else out.push({ name: `${prefix}${e.name}`, text: readFileSync(join(d, e.name), 'utf8') });
    }
  };
  walk(dir, '');
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Every `.Values.a.b` path a template refers to, directly or through a variable assigned from
 * one (`{{- $a := .Values.prometheusRule.alerts }}` … `$a.sourceLag.enabled`).
 */
export function valuesReferences(text: string): string[] {
  const refs = new Set<string>();
  const vars = new Map<string, string>();
  for (const m of text.matchAll(/\$([A-Za-z_]\w*)\s*:=\s*\$?\.Values((?:\.[A-Za-z_]\w*)+)/g)) vars.set(m[1]!, m[2]!.slice(1));
  for (const m of text.matchAll(/\$?\.Values((?:\.[A-Za-z_]\w*)+)/g)) refs.add(m[1]!.slice(1));
  for (const [name, base] of vars) {
    for (const m of text.matchAll(new RegExp(`\\$${name}((?:\\.[A-Za-z_]\\w*)+)`, 'g'))) refs.add(`${base}${m[1]}`);
  }
  return [...refs].sort();
}

export function hasPath(values: unknown, path: string): boolean {
  let v: unknown = values;
  for (const p of path.split('.')) {
    if (!isObj(v) || !(p in v)) return false;
    v = v[p];
  }
  return true;
}

/**
 * What an install gives on top of a values file (`--set-file secrets.data.<key>=…`, the env
 * values left empty for the installer): every empty `env` value and `secrets.data` value filled
 * with the same placeholders podEnvironment uses. The chart refuses to render without them.
 */
export function installValues(values: Json): Json {
  const out: Json = {};
  const env = (values.env ?? []) as { name: string; value?: string; valueFrom?: unknown }[];
  if (env.some((e) => e.value === '' && !e.valueFrom)) {
    out.env = env.map((e) => (e.value === '' && !e.valueFrom ? { ...e, value: `placeholder-${e.name.toLowerCase().replace(/_/g, '-')}` } : e));
  }
  const secrets = values.secrets as { existingSecret?: string; data?: Record<string, string> };
  const empty = Object.entries(secrets.data ?? {}).filter(([, v]) => v === '');
  if (!secrets.existingSecret && empty.length) out.secrets = { data: Object.fromEntries(empty.map(([k]) => [k, `dummy-${k}`])) };
  return out;
}

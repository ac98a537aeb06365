// Reading a config: YAML (with line/column on syntax errors) -> interpolation -> schema ->
// graph -> the sections' own checks. Every problem found is reported at once, each with its
// path and the fix. The registry (component types, sections) and the environment come from
// the caller: src/app/config.ts passes the default registry and process.env.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { registrySections, type Registry } from '../core/plugin.js';
import { Secrets } from '../observability/secrets.js';
import { ConfigError, closest, formatPath } from './errors.js';
import { interpolate, isSecretPath, reinterpolate } from './interpolate.js';
import { configSchema, componentTypes, type Config } from './schema.js';
import { validateGraph, type Graph } from './graph.js';

export interface LoadedConfig<C extends Config = Config> {
  config: C;
  graph: Graph;
  secrets: Secrets;
  /** Relative paths in the config (dataDir, file sink paths...) are resolved against this. */
  baseDir: string;
  /** Absolute path of the file, or undefined for configs given as objects. */
  file?: string;
  /** The value at a config path (`zendesk.accounts[0].auth.token`) read again if it came from `${file:...}`; else undefined. */
  reread?(path: string): string | undefined;
}

export type Env = Record<string, string | undefined>;

export function loadConfigFromFile(file: string, registry: Registry, env: Env): LoadedConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${path}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const loaded = loadConfig(doc.toJS(), registry, { env, baseDir: dirname(path) });
  return { ...loaded, file: path };
}

export function loadConfig(raw: unknown, registry: Registry, opts: { env: Env; baseDir?: string; secrets?: Secrets }): LoadedConfig {
  const secrets = opts.secrets ?? new Secrets();
  const fromFiles = new Map<string, string>();
  const interpolateOpts = { env: opts.env, baseDir: opts.baseDir ?? process.cwd(), secrets, fromFiles };
  const interpolated = interpolate(raw ?? {}, interpolateOpts);
  const parsed = configSchema(registry).safeParse(interpolated);
  // Problems name the path and the expected type; a value under a secret key is never shown,
  // and anything a secret could have leaked into is scrubbed.
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => secrets.scrub(formatIssue(i, interpolated, registry))));
  const config = parsed.data as unknown as Config;
  const baseDir = resolve(opts.baseDir ?? process.cwd());
  config.dataDir = resolve(baseDir, config.dataDir);
  const { graph, problems } = validateGraph(config);
  for (const section of registrySections(registry)) problems.push(...(section.check?.((config as Record<string, unknown>)[section.key], config) ?? []));
  if (problems.length) throw new ConfigError(problems);
  const reread = (path: string) => {
    const original = fromFiles.get(path);
    return original === undefined ? undefined : reinterpolate(original, path, interpolateOpts);
  };
  return { config, graph, secrets, baseDir, reread };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function formatIssue(issue: z.core.$ZodIssue, root: unknown, registry: Registry): string {
  const path = formatPath(issue.path);
  const at = path || '(root)';
  switch (issue.code) {
    case 'unrecognized_keys': {
      return issue.keys
        .map((k) => {
          const known = knownKeysFor(issue.path, root, registry);
          const hint = known ? closest(k, known) : undefined;
          return `${formatPath([...issue.path, k])}: unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; remove it or fix its spelling`;
        })
        .join('\n  - ');
    }
    case 'invalid_union': {
      // zod reports a bad discriminator at `<item>.type`; name the item's own type field.
      const itemPath = issue.path[issue.path.length - 1] === 'type' ? issue.path.slice(0, -1) : issue.path;
      const item = formatPath(itemPath) || '(root)';
      const section = itemPath[0];
      const given = valueAt(root, itemPath) as { type?: unknown } | undefined;
      const t = given?.type;
      if ((section === 'sources' || section === 'transforms' || section === 'sinks') && itemPath.length === 2) {
        const types = componentTypes(registry)[section];
        if (typeof t !== 'string') return `${item}.type: missing; expected one of ${types.join(', ')}`;
        const hint = closest(t, types);
        return `${item}.type: unknown ${section.slice(0, -1)} type "${t}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${types.join(', ')}`;
      }
      return `${item}.type: ${t === undefined ? 'missing' : `"${String(t)}" is not valid`}; ${issue.message}`;
    }
    case 'invalid_type': {
      const v = valueAt(root, issue.path);
      if (v === undefined) return `${at}: required (expected ${issue.expected})`;
      return `${at}: expected ${issue.expected}, got ${isSecretPath(issue.path) ? `${kindOf(v)} (value hidden: this field holds a secret)` : describe(v)}`;
    }
    default:
      return `${at}: ${isSecretPath(issue.path) ? redactQuoted(issue.message) : issue.message}`;
  }
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : typeof v;
}

/** Messages of custom checks may quote the value (`got "..."`); under a secret key they must not. */
function redactQuoted(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"/g, '"[REDACTED]"');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

// Known keys for hints come from the schema shape at that path; inside a component list
// the item's own `type` picks the union member.
function knownKeysFor(path: readonly PropertyKey[], root: unknown, registry: Registry): string[] | undefined {
  type Def = { type?: string; shape?: Record<string, unknown>; element?: unknown; options?: unknown[] };
  let schema: unknown = configSchema(registry);
  for (let i = 0; i < path.length; i++) {
    const def = (unwrap(schema) as { def?: Def }).def;
    const p = path[i]!;
    if (def?.type === 'array' && typeof p === 'number') {
      schema = unwrap(def.element);
      const inner = (schema as { def?: Def }).def;
      if (inner?.type === 'union' && inner.options) {
        const t = (valueAt(root, path.slice(0, i + 1)) as { type?: unknown } | undefined)?.type;
        schema = inner.options.find((o) => ((o as { def: { shape: { type?: { def?: { values?: unknown[] } } } } }).def.shape.type?.def?.values ?? []).includes(t));
      }
    } else if (def?.type === 'object' && def.shape) schema = def.shape[String(p)];
    else return undefined;
  }
  const shape = (unwrap(schema) as { def?: Def } | undefined)?.def?.shape;
  return shape ? Object.keys(shape) : undefined;
}

function unwrap(s: unknown): unknown {
  let cur = s as { def?: { type?: string; innerType?: unknown; in?: unknown } } | undefined;
  for (let i = 0; i < 10 && cur?.def; i++) {
    const t = cur.def.type;
    if (t === 'default' || t === 'optional' || t === 'nullable' || t === 'prefault') cur = cur.def.innerType as typeof cur;
    else if (t === 'pipe') cur = cur.def.in as typeof cur;
    else break;
  }
  return cur;
}

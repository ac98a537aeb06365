// `${VAR}`, `${VAR:-default}` and `${file:PATH}` in string values of the parsed YAML.
// Interpolating values (not the YAML text) means a secret containing quotes or newlines
// cannot change the document's structure. `$${` escapes a literal `${`.

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Secrets } from '../observability/secrets.js';
import { ConfigError, formatPath } from './errors.js';

// Keys whose values are secrets whether they were interpolated or written inline.
const SECRET_KEY = /token|secret|password|passwd|api[-_]?key|authorization|credential|private[-_]?key|access[-_]?key/i;

/** True when a config path holds a secret (some key on it names a credential). */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some((k) => typeof k === 'string' && SECRET_KEY.test(k));
}

export interface InterpolateOptions {
  env: Record<string, string | undefined>;
  baseDir: string;
  secrets: Secrets;
  /** Filled with path -> original text of every value that read a `${file:...}` (so it can be read again). */
  fromFiles?: Map<string, string>;
}

export function interpolate(value: unknown, opts: InterpolateOptions): unknown {
  const errors: { path: (string | number)[]; message: string }[] = [];
  const out = walk(value, [], false, opts, errors);
  if (errors.length) throw new ConfigError(errors.map((e) => `${formatPath(e.path) || '(root)'}: ${e.message}`));
  return out;
}

/** One value read again from its original text (e.g. a rotated `${file:...}` secret); throws a ConfigError when it cannot be. */
export function reinterpolate(original: string, path: string, opts: InterpolateOptions): string {
  const errors: { path: (string | number)[]; message: string }[] = [];
  const { text } = expand(original, [path], opts, errors);
  if (errors.length) throw new ConfigError(errors.map((e) => `${path}: ${e.message}`));
  opts.secrets.add(text);
  return text;
}

function walk(value: unknown, path: (string | number)[], secretKey: boolean, opts: InterpolateOptions, errors: { path: (string | number)[]; message: string }[]): unknown {
  if (typeof value === 'string') {
    const { text, fromFile } = expand(value, path, opts, errors);
    if (secretKey || fromFile) opts.secrets.add(text);
    if (fromFile) opts.fromFiles?.set(formatPath(path), value);
    return text;
  }
  // A secret mistyped as a number (an unquoted numeric token in YAML) is still a secret; short
  // numbers are not plausible secrets and would mask ordinary figures in every log line.
  if (secretKey && (typeof value === 'number' || typeof value === 'bigint') && String(value).length >= 8) opts.secrets.add(String(value));
  if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i], secretKey, opts, errors));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k], secretKey || SECRET_KEY.test(k), opts, errors);
    return out;
  }
  return value;
}

function expand(input: string, path: (string | number)[], opts: InterpolateOptions, errors: { path: (string | number)[]; message: string }[]) {
  let fromFile = false;
  const text = input.replace(/\$(\$?)\{([^}]*)\}/g, (whole, escape: string, expr: string) => {
    if (escape) return whole.slice(1);
    if (expr.startsWith('file:')) {
      const file = expr.slice(5).trim();
      const full = isAbsolute(file) ? file : resolve(opts.baseDir, file);
      try {
        fromFile = true;
        // Mounted secrets usually end with a newline that is not part of the secret.
        return readFileSync(full, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        errors.push({ path, message: `cannot read \${file:${file}}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
        return '';
      }
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(expr);
    if (!m) {
      errors.push({ path, message: `invalid interpolation \${${expr}}: expected \${VAR}, \${VAR:-default} or \${file:PATH} (write $\${ for a literal)` });
      return '';
    }
    const v = opts.env[m[1]!];
    if (v !== undefined && v !== '') return v;
    if (m[2] !== undefined) return m[2];
    errors.push({ path, message: `environment variable ${m[1]} is not set (set it, or give a default with \${${m[1]}:-value})` });
    return '';
  });
  return { text, fromFile };
}

// Query strings read the way Zendesk reads them. Zendesk is a Rails app, so its params come from
// Rack's `Rack::QueryParser#parse_nested_query` / `normalize_params` (rack/rack,
// lib/rack/query_parser.rb). The rules that matter for a client:
// - a bare key given twice keeps only the LAST value (`a=1&a=2` -> {a: "2"});
// - `key[]` builds an array (`a[]=1&a[]=2` -> {a: ["1", "2"]});
// - `a[b]=1` builds a hash ({a: {b: "1"}}), `a[][b]` an array of hashes;
// - a key without `=` has the value null; `+` is a space; pairs are split on `&` only;
// - mixing shapes (`a=1&a[]=2`, `a[]=1&a[b]=2`) is a ParameterTypeError, which Rails answers with 400.
// Written after Rack 2.2's regexp-based normalize_params, which is also what Rack 3 does for
// every shape a Zendesk client sends.

export type RackValue = string | null | RackValue[] | RackParams;
export interface RackParams {
  [key: string]: RackValue;
}

/** Conflicting shapes or a malformed escape: Rails answers 400 without reaching the controller. */
export class RackParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RackParameterError';
  }
}

/** Rack's default param_depth_limit. */
const DEPTH_LIMIT = 100;

function newParams(): RackParams {
  // No prototype: a key named `__proto__` or `constructor` is just a key, as in Ruby.
  return Object.create(null) as RackParams;
}

export function isParams(v: RackValue | undefined): v is RackParams {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `URI.decode_www_form_component`: `+` is a space, `%XX` is a byte; a bad escape is an error. */
function unescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new RackParameterError(`invalid %-encoding (${s.slice(0, 100)})`);
  }
}

export function parseNestedQuery(qs: string): RackParams {
  const params = newParams();
  if (!qs) return params;
  for (const pair of qs.split(/& */)) {
    const eq = pair.indexOf('=');
    const k = unescape(eq === -1 ? pair : pair.slice(0, eq));
    const v = eq === -1 ? null : unescape(pair.slice(eq + 1));
    normalizeParams(params, k, v, DEPTH_LIMIT);
  }
  return params;
}

const HEAD = /^[[\]]*([^[\]]+)\]*/;

/** Rack's normalize_params: expands one `name=v` pair into `params`. */
export function normalizeParams(params: RackParams, name: string, v: string | null, depth: number): RackValue | undefined {
  if (depth <= 0) throw new RackParameterError('parameters nested too deeply');
  const m = HEAD.exec(name);
  const k = m?.[1] ?? '';
  const after = m ? name.slice(m[0].length) : '';

  if (k === '') {
    if (v !== null && name === '[]') return [v];
    return undefined;
  }

  if (after === '') {
    params[k] = v;
  } else if (after === '[') {
    params[name] = v;
  } else if (after === '[]') {
    const cur = (params[k] ??= []);
    if (!Array.isArray(cur)) throw typeError('Array', cur, k);
    cur.push(v);
  } else {
    const child = /^\[\]\[([^[\]]+)\]$/.exec(after)?.[1] ?? /^\[\](.+)$/.exec(after)?.[1];
    if (child !== undefined) {
      const cur = (params[k] ??= []);
      if (!Array.isArray(cur)) throw typeError('Array', cur, k);
      const last = cur[cur.length - 1];
      if (isParams(last) && !hasKey(last, child)) normalizeParams(last, child, v, depth - 1);
      else cur.push(normalizeParams(newParams(), child, v, depth - 1) as RackValue);
    } else {
      const cur = (params[k] ??= newParams());
      if (!isParams(cur)) throw typeError('Hash', cur, k);
      params[k] = normalizeParams(cur, after, v, depth - 1) as RackValue;
    }
  }
  return params;
}

function typeError(expected: string, got: RackValue, key: string): RackParameterError {
  const kind = Array.isArray(got) ? 'Array' : isParams(got) ? 'Hash' : got === null ? 'NilClass' : 'String';
  return new RackParameterError(`expected ${expected} (got ${kind}) for param \`${key}'`);
}

function hasKey(h: RackParams, key: string): boolean {
  if (/\[\]/.test(key)) return false;
  let cur: RackValue = h;
  for (const part of key.split(/[[\]]+/)) {
    if (part === '') continue;
    if (!isParams(cur) || !(part in cur)) return false;
    cur = cur[part] as RackValue;
  }
  return true;
}

/** `params.dig(...)`: undefined when a step is missing or not a hash. */
export function dig(params: RackParams, ...path: string[]): RackValue | undefined {
  let cur: RackValue | undefined = params;
  for (const p of path) {
    if (!isParams(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/**
 * A scalar parameter: undefined when absent, the string otherwise. An array or hash where a
 * single value belongs is reported as `{shape}` so the endpoint can refuse it.
 */
export function scalar(params: RackParams, ...path: string[]): string | undefined | { shape: 'array' | 'hash' } {
  const v = dig(params, ...path);
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return { shape: 'array' };
  if (isParams(v)) return { shape: 'hash' };
  return v ?? '';
}

// Small string templates over an event, for routing fields such as a Splunk sourcetype or
// a Datadog hostname: `zendesk:{stream}`, `{account}.zendesk.com`, `{body.actor.user.name}`.
//
// Syntax: `{path}` is replaced by the value at `path`; `{{` and `}}` are literal braces.
// A path is dot-separated. `meta.x` reads the event metadata, `body.x` the event body;
// a bare `x` reads the metadata when it has that key (id, account, stream, time, schema,
// sourcetype, severity, classUid) and the body otherwise. Strings, numbers and booleans
// render as text; a missing value, null, an object or an array renders as "".

import { z } from 'zod';
import type { PipelineEvent } from '../../core/types.js';

export type Template = ((event: PipelineEvent) => string) & { readonly source: string; readonly isStatic: boolean };

type Part = { literal: string } | { path: string[]; root: 'meta' | 'body' | 'auto' };

const PATH = /^[A-Za-z0-9_@$-]+(\.[A-Za-z0-9_@$-]+)*$/;

/** Returns an error message, or undefined when the template is valid. */
export function templateError(source: string): string | undefined {
  try {
    parse(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function parse(source: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '{' && source[i + 1] === '{') {
      literal += '{';
      i++;
    } else if (c === '}' && source[i + 1] === '}') {
      literal += '}';
      i++;
    } else if (c === '{') {
      const end = source.indexOf('}', i);
      if (end < 0) throw new Error(`unclosed "{" at position ${i} in template "${source}" (write {{ for a literal brace)`);
      const path = source.slice(i + 1, end).trim();
      if (!PATH.test(path)) throw new Error(`invalid field path "{${path}}" in template "${source}"; expected e.g. {stream} or {body.actor.name}`);
      if (literal) parts.push({ literal });
      literal = '';
      const segs = path.split('.');
      if (segs[0] === 'meta' && segs.length > 1) parts.push({ root: 'meta', path: segs.slice(1) });
      else if (segs[0] === 'body' && segs.length > 1) parts.push({ root: 'body', path: segs.slice(1) });
      else parts.push({ root: 'auto', path: segs });
      i = end;
    } else if (c === '}') {
      throw new Error(`unmatched "}" at position ${i} in template "${source}" (write }} for a literal brace)`);
    } else literal += c;
  }
  if (literal) parts.push({ literal });
  return parts;
}

function walk(root: unknown, path: string[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return '';
}

export function compileTemplate(source: string): Template {
  const parts = parse(source);
  const isStatic = parts.every((p) => 'literal' in p);
  let fn: (e: PipelineEvent) => string;
  if (isStatic) {
    const value = parts.map((p) => ('literal' in p ? p.literal : '')).join('');
    fn = () => value;
  } else {
    fn = (e) => {
      let out = '';
      for (const p of parts) {
        if ('literal' in p) out += p.literal;
        else if (p.root === 'meta') out += text(walk(e.meta, p.path));
        else if (p.root === 'body') out += text(walk(e.body, p.path));
        else {
          const head = p.path[0]!;
          const fromMeta = Object.prototype.hasOwnProperty.call(e.meta, head) && (e.meta as unknown as Record<string, unknown>)[head] !== undefined;
          out += text(walk(fromMeta ? e.meta : e.body, p.path));
        }
      }
      return out;
    };
  }
  return Object.assign(fn, { source, isStatic });
}

/** A config field holding a template; invalid syntax is a config error with the reason. */
export function templateString() {
  return z.string().superRefine((s, ctx) => {
    const err = templateError(s);
    if (err) ctx.addIssue({ code: 'custom', message: err });
  });
}

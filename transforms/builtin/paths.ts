// Field paths for the generic transforms: "a.b.c" into nested objects; a numeric segment
// indexes an array; "*" matches every key or element; other segments applied to an array
// apply to each element ("unmapped.events.body" = the body of every event). "\." escapes a
// dot inside a key. Reading through "$meta." addresses the event metadata (filter only).

import type { Raw } from '../zendesk/fields.js';

export type Path = readonly string[];

export function parsePath(path: string): Path {
  const segs: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && path[i + 1] === '.') {
      cur += '.';
      i++;
    } else if (ch === '.') {
      segs.push(cur);
      cur = '';
    } else cur += ch;
  }
  segs.push(cur);
  if (segs.some((s) => s === '')) throw new Error(`invalid field path "${path}": empty segment`);
  return segs;
}

/** Checks a path at config time; returns an error message or undefined. */
export function pathProblem(path: string): string | undefined {
  try {
    parsePath(path);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const isIndex = (s: string) => /^\d+$/.test(s);
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every value the path reaches; arrays at the end are flattened (so conditions test members). */
export function getAll(root: unknown, path: Path): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown, i: number): void => {
    if (i === path.length) {
      if (Array.isArray(v)) out.push(...v);
      else out.push(v);
      return;
    }
    const seg = path[i]!;
    if (Array.isArray(v)) {
      if (seg === '*') for (const x of v) walk(x, i + 1);
      else if (isIndex(seg)) {
        if (Number(seg) < v.length) walk(v[Number(seg)], i + 1);
      } else for (const x of v) walk(x, i);
      return;
    }
    if (!isObj(v)) return;
    if (seg === '*') for (const x of Object.values(v)) walk(x, i + 1);
    else if (Object.hasOwn(v, seg)) walk(v[seg], i + 1);
  };
  walk(root, 0);
  return out;
}

/**
 * Calls `fn(parent, key)` for every existing leaf the path reaches (parent is an object or
 * array). Used by remove and mask; returns how many leaves were visited.
 */
export function forEachLeaf(root: unknown, path: Path, fn: (parent: Raw | unknown[], key: string | number) => void): number {
  let n = 0;
  const visit = (parent: Raw | unknown[], key: string | number, i: number): void => {
    if (i === path.length - 1) {
      fn(parent, key);
      n++;
    } else walk((parent as Record<string | number, unknown>)[key], i + 1);
  };
  const walk = (v: unknown, i: number): void => {
    const seg = path[i]!;
    if (Array.isArray(v)) {
      // Backwards, so that removing elements does not shift the ones still to visit.
      if (seg === '*') for (let k = v.length - 1; k >= 0; k--) visit(v, k, i);
      else if (isIndex(seg)) {
        if (Number(seg) < v.length) visit(v, Number(seg), i);
      } else for (const x of v) walk(x, i);
      return;
    }
    if (!isObj(v)) return;
    const keys = seg === '*' ? Object.keys(v) : Object.hasOwn(v, seg) ? [seg] : [];
    for (const k of keys) visit(v, k, i);
  };
  walk(root, 0);
  return n;
}

/** Sets a value, creating objects on the way; wildcards are not allowed here. */
export function setPath(root: Raw, path: Path, value: unknown, overwrite = true): boolean {
  let cur: Raw = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const next = cur[seg];
    if (!isObj(next)) {
      if (next !== undefined && !overwrite) return false;
      cur[seg] = {};
    }
    cur = cur[seg] as Raw;
  }
  const key = path[path.length - 1]!;
  if (!overwrite && cur[key] !== undefined) return false;
  cur[key] = value;
  return true;
}

/** Reads exactly one value (no fan-out), for rename. */
export function getOne(root: unknown, path: Path): unknown {
  let cur = root;
  for (const seg of path) {
    if (Array.isArray(cur) && isIndex(seg)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

export function removeOne(root: Raw, path: Path): void {
  const parent = getOne(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && isIndex(key)) parent.splice(Number(key), 1);
  else if (isObj(parent)) delete parent[key];
}

export function hasWildcard(path: Path): boolean {
  return path.includes('*');
}

// Small, strict readers for upstream JSON. Zendesk fields are loosely typed (ids as numbers or
// strings, nulls everywhere), so every mapper reads through these instead of casting.

import { isIP } from 'node:net';

export type Raw = Record<string, unknown>;

/** Thrown for records a mapper cannot map; the pipeline dead-letters the event with the message. */
export class MappingError extends Error {
  override name = 'MappingError';
}

export function fail(stream: string, reason: string): never {
  throw new MappingError(`${stream}: ${reason}`);
}

export function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string (numbers are accepted and stringified); anything else is undefined. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** An id: integer or non-empty string. Floats, booleans and objects are not ids. */
export function idOf(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : undefined;
  if (typeof v === 'string') return v.trim().length > 0 ? v.trim() : undefined;
  return undefined;
}

export function int(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** A valid IPv4/IPv6 address (Zendesk sometimes sends "" or null for system actions). */
export function ipOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return isIP(s) ? s : undefined;
}

/**
 * Upstream time to epoch ms: ISO 8601 strings, or epoch seconds (incremental exports use
 * `timestamp` in seconds). Values that look like milliseconds are taken as such.
 */
export function timeOf(v: unknown): number | undefined {
  if (typeof v === 'string') {
    if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  return undefined;
}

/** Copy of `raw` without the given keys and without null/undefined values (for OCSF `unmapped`, ECS `zendesk.*`). */
export function rest(raw: Raw, mapped: ReadonlySet<string>): Raw | undefined {
  let out: Raw | undefined;
  for (const k in raw) {
    const v = raw[k];
    if (v === null || v === undefined || mapped.has(k)) continue;
    (out ??= {})[k] = v;
  }
  return out;
}

/** A new object of the given entries, leaving out undefined values (cheaper than spreads or deletes). */
export function defined(entries: [string, unknown][]): Raw {
  const o: Raw = {};
  for (const [k, v] of entries) if (v !== undefined) o[k] = v;
  return o;
}

/**
 * JSON-like data without nulls (SIEMs index a null as "missing" anyway; our outputs carry
 * none). Copies only the parts that contain a null and shares the rest, so outputs may share
 * sub-objects with the input: events are treated as immutable (the generic transforms copy).
 */
export function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const y = x === null || x === undefined ? undefined : withoutNulls(x);
      if (out) {
        if (y !== undefined) out.push(y);
      } else if (y !== x) {
        out = v.slice(0, i);
        if (y !== undefined) out.push(y);
      }
    }
    return out ?? v;
  }
  if (isObject(v)) {
    let out: Raw | undefined;
    for (const k in v) {
      const x = v[k];
      const y = x === null || x === undefined ? undefined : withoutNulls(x);
      if (out) {
        if (y !== undefined) out[k] = y;
      } else if (y !== x) {
        out = {};
        for (const k2 in v) {
          if (k2 === k) break;
          out[k2] = v[k2];
        }
        if (y !== undefined) out[k] = y;
      }
    }
    return out ?? v;
  }
  return v;
}

/**
 * Splits "City, Region, Country" style text into parts (Zendesk writes locations like that).
 * A single word could be a city or a country, so it is left unstructured.
 */
export function locationParts(desc: string): { city?: string; region?: string; country?: string } {
  const parts = desc
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length >= 3) return { city: parts[0], region: parts.slice(1, -1).join(', '), country: parts[parts.length - 1] };
  if (parts.length === 2) return { city: parts[0], country: parts[1] };
  return {};
}

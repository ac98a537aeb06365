// Small HTTP helpers shared by the endpoint handlers: query access, link building, cursors.

import type { IncomingMessage } from 'node:http';
import { scalar, type RackParams } from './rack-query.js';
import type { Position } from './store.js';

export interface HandlerContext {
  url: URL;
  /** The query string as Zendesk's Rails stack reads it (rack-query.ts); handlers read parameters from here only. */
  query: RackParams;
  /** Scheme + host the client used (links and record urls are built from it, like Zendesk's own). */
  base: string;
  nowMs: number;
  /** 'repeat' fault: records of the previous page to send again (0 normally). */
  repeat: number;
  /** Server-held state some behaviours need across requests (the cursor cycle). */
  state: { cycleStart?: string };
}

export interface HandlerResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function requestBase(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host ? `http://${host}` : fallback;
}

/** Keeps brackets, colons, slashes and commas readable, as Zendesk's own links do. */
export function encodeValue(v: string): string {
  return encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%2C/gi, ',');
}

/** Rebuilds a link from the request's own parameters, dropping `drop` and appending `add`. */
export function buildLink(base: string, path: string, params: URLSearchParams, drop: (key: string) => boolean, add: [string, string][]): string {
  const parts: string[] = [];
  for (const [k, v] of params) if (!drop(k)) parts.push(`${k}=${encodeValue(v)}`);
  for (const [k, v] of add) parts.push(`${k}=${encodeValue(v)}`);
  return `${base}${path}${parts.length ? `?${parts.join('&')}` : ''}`;
}

/** Opaque cursor for (second, id), shaped like Zendesk's base64 "1576613539.0||467|". */
export function encodeCursor(p: Position): string {
  return Buffer.from(`${p.t}.0||${p.k}|`, 'utf8').toString('base64url');
}

export function decodeCursor(s: string): Position | undefined {
  const m = /^(\d+)\.0\|\|(\d+)\|$/.exec(Buffer.from(s, 'base64url').toString('utf8'));
  if (!m) return undefined;
  return { t: Number(m[1]), k: Number(m[2]) };
}

/** Parses a non-negative integer parameter at `path`; undefined when absent, NaN when malformed (or an array/hash). */
export function intParam(query: RackParams, ...path: string[]): number | undefined {
  const v = scalar(query, ...path);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return NaN;
  return /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
}

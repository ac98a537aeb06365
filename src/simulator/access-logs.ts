// GET /api/v2/access_logs — ADPP access log.
// https://developer.zendesk.com/api-reference/ticketing/account-configuration/access_logs/
// - filter[start] / filter[end] ("UTC time stamp in the format of yyyy-mm-ddThh:mm:ssZ"), filter[user_id],
//   filter[path] ("URL path ... excluding query parameters"), filter[browser_url] (the referer),
//   filter[graphql]=true (excludes GraphQL entries);
// - cursor pagination; the parameter table names the cursors filter[after]/filter[before] while the
//   example links use page[after]/page[before]: both are accepted, links use page[...] like the example;
//   cursor values are access-log ids (the curl example passes an id as filter[after]);
// - page[size] "Default value is 1000 and the maximum allowed value is 2500" (400 "max allowed page size
//   is 2500" above it); ascending by default, `sort=-created_at` for descending;
// - envelope access_logs, links.next/prev, meta.after_cursor/before_cursor/has_before/has_more;
// - "a 90-day record": older entries are not returned.

import type { Dataset } from './data.js';
import { accessLogErrors } from './errors.js';
import { buildLink, type HandlerContext, type HandlerResult } from './http.js';
import { isParams, scalar, type RackParams } from './rack-query.js';
import { keysetPage, type Position } from './store.js';
import type { AccessLogRecord } from './types.js';
import { isUlid, ulidTime } from './ulid.js';

export interface AccessLogBehaviour {
  /** Shared with the audit log: newest first whatever `sort` says; links.next without the filters. */
  descendingOnly?: boolean;
  nextLinkDropsFilters?: boolean;
  /** Whether filter[end] includes its own second. Default false ("created before this timestamp"). */
  accessLogEndInclusive?: boolean;
  /**
   * Days of access logs served, counted back from the simulator clock. Default 90 ("a 90-day record");
   * 0 serves everything (e.g. a demo with a fixed history that ages on the real clock).
   */
  accessLogRetentionDays?: number;
}

const PATH = '/api/v2/access_logs';
const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const FILTERS = new Set(['start', 'end', 'user_id', 'path', 'browser_url', 'graphql', 'after', 'before']);

/** One value or undefined; an array or hash where one value belongs is refused like any malformed parameter. */
function one(q: RackParams, ...path: string[]): string | undefined | HandlerResult {
  const v = scalar(q, ...path);
  return typeof v === 'object' ? accessLogErrors.malformed(`${path[0]}[${path[1]}] takes a single value`) : v;
}

const isResult = (v: unknown): v is HandlerResult => typeof v === 'object' && v !== null && 'status' in v;

function position(id: string): Position {
  return { t: Math.floor(ulidTime(id) / 1000), k: id };
}

export function listAccessLogs(ds: Dataset, ctx: HandlerContext, behaviour: AccessLogBehaviour): HandlerResult {
  const q = ctx.query;
  for (const [name, allowed] of [['filter', FILTERS], ['page', new Set(['size', 'after', 'before'])]] as const) {
    const h = q[name];
    if (h === undefined) continue;
    if (!isParams(h)) return accessLogErrors.malformed(`${name} must be given as ${name}[...]`);
    for (const k of Object.keys(h)) if (!allowed.has(k)) return accessLogErrors.malformed(`unknown parameter ${name}[${k}]`);
  }
  const sizeRaw = one(q, 'page', 'size');
  if (isResult(sizeRaw)) return sizeRaw;
  let size = 1000;
  if (sizeRaw !== undefined) {
    if (!/^\d+$/.test(sizeRaw) || Number(sizeRaw) < 1) return accessLogErrors.malformed('page size must be a positive integer');
    size = Number(sizeRaw);
    if (size > 2500) return accessLogErrors.pageTooLarge();
  }
  const sort = scalar(q, 'sort');
  if (sort !== undefined && sort !== '-created_at' && sort !== 'created_at') return accessLogErrors.malformed('sort must be created_at or -created_at');
  const s = ds.access;
  const nowSec = Math.floor(ctx.nowMs / 1000);
  const retentionDays = behaviour.accessLogRetentionDays ?? 90;
  let lo = retentionDays > 0 ? s.firstAtOrAfter(nowSec - retentionDays * 86400) : 0;
  let hi = s.length;
  for (const [key, isEnd] of [
    ['start', false],
    ['end', true],
  ] as const) {
    const name = `filter[${key}]`;
    const v = one(q, 'filter', key);
    if (isResult(v)) return v;
    if (v === undefined) continue;
    if (!TS_RE.test(v) || !Number.isFinite(Date.parse(v))) return accessLogErrors.malformed(`${name} must be a UTC time stamp in the format yyyy-mm-ddThh:mm:ssZ`);
    const sec = Date.parse(v) / 1000;
    if (isEnd) hi = Math.min(hi, behaviour.accessLogEndInclusive ? s.firstAfter(sec) : s.firstAtOrAfter(sec));
    else lo = Math.max(lo, s.firstAtOrAfter(sec));
  }
  hi = Math.max(lo, hi);

  const checks: ((r: AccessLogRecord) => boolean)[] = [];
  const userId = one(q, 'filter', 'user_id');
  const path = one(q, 'filter', 'path');
  const browserUrl = one(q, 'filter', 'browser_url');
  const graphql = one(q, 'filter', 'graphql');
  for (const v of [userId, path, browserUrl, graphql]) if (isResult(v)) return v;
  if (typeof userId === 'string') {
    if (!/^\d+$/.test(userId)) return accessLogErrors.malformed('filter[user_id] must be a number');
    checks.push((r) => r.user_id === Number(userId));
  }
  if (typeof path === 'string') checks.push((r) => r.url.split('?', 1)[0] === path);
  if (typeof browserUrl === 'string') checks.push((r) => r.referer === browserUrl);
  if (typeof graphql === 'string') {
    if (graphql !== 'true') return accessLogErrors.malformed('filter[graphql] only accepts "true"');
    checks.push((r) => r.graphql === undefined);
  }
  const match = checks.length === 0 ? undefined : (r: AccessLogRecord) => checks.every((c) => c(r));

  const cursors = [one(q, 'page', 'after'), one(q, 'filter', 'after'), one(q, 'page', 'before'), one(q, 'filter', 'before')];
  for (const c of cursors) if (isResult(c)) return c;
  const [pageAfter, filterAfter, pageBefore, filterBefore] = cursors as (string | undefined)[];
  const afterRaw = pageAfter ?? filterAfter ?? null;
  const beforeRaw = pageBefore ?? filterBefore ?? null;
  if (afterRaw !== null && beforeRaw !== null) return accessLogErrors.malformed('use either an after or a before cursor, not both');
  for (const c of [afterRaw, beforeRaw]) if (c !== null && !isUlid(c)) return accessLogErrors.malformed('invalid cursor');
  const backward = beforeRaw !== null;
  const page = keysetPage(s, {
    lo,
    hi,
    match,
    order: sort === '-created_at' || behaviour.descendingOnly ? 'desc' : 'asc',
    after: afterRaw !== null ? position(afterRaw) : undefined,
    before: beforeRaw !== null ? position(beforeRaw) : undefined,
    size,
    repeat: ctx.repeat,
  });
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  const drop = behaviour.nextLinkDropsFilters ? () => true : (k: string) => k.startsWith('page[') || k === 'filter[after]' || k === 'filter[before]';
  const sizeParam: [string, string] = ['page[size]', String(size)];
  return {
    status: 200,
    body: {
      access_logs: page.items.map((e) => e.r),
      links: {
        next: last ? buildLink(ctx.base, PATH, ctx.url.searchParams, drop, [sizeParam, ['page[after]', last.r.id]]) : null,
        prev: first ? buildLink(ctx.base, PATH, ctx.url.searchParams, drop, [sizeParam, ['page[before]', first.r.id]]) : null,
      },
      meta: {
        after_cursor: last ? last.r.id : null,
        before_cursor: first ? first.r.id : null,
        // Relative to the sort order, whichever way this request travelled.
        has_before: backward ? page.more : page.other,
        has_more: backward ? page.other : page.more,
      },
    },
  };
}

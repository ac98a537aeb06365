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
import { keysetPage, type Position } from './store.js';
import type { AccessLogRecord } from './types.js';
import { isUlid, ulidTime } from './ulid.js';

export interface AccessLogBehaviour {
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

function cursor(p: URLSearchParams, which: 'after' | 'before'): string | null {
  return p.get(`page[${which}]`) ?? p.get(`filter[${which}]`);
}

function position(id: string): Position {
  return { t: Math.floor(ulidTime(id) / 1000), k: id };
}

export function listAccessLogs(ds: Dataset, ctx: HandlerContext, behaviour: AccessLogBehaviour): HandlerResult {
  const p = ctx.url.searchParams;
  const sizeRaw = p.get('page[size]');
  let size = 1000;
  if (sizeRaw !== null) {
    if (!/^\d+$/.test(sizeRaw) || Number(sizeRaw) < 1) return accessLogErrors.malformed('page size must be a positive integer');
    size = Number(sizeRaw);
    if (size > 2500) return accessLogErrors.pageTooLarge();
  }
  const sort = p.get('sort');
  if (sort !== null && sort !== '-created_at' && sort !== 'created_at') return accessLogErrors.malformed('sort must be created_at or -created_at');
  const s = ds.access;
  const nowSec = Math.floor(ctx.nowMs / 1000);
  const retentionDays = behaviour.accessLogRetentionDays ?? 90;
  let lo = retentionDays > 0 ? s.firstAtOrAfter(nowSec - retentionDays * 86400) : 0;
  let hi = s.length;
  for (const [name, isEnd] of [
    ['filter[start]', false],
    ['filter[end]', true],
  ] as const) {
    const v = p.get(name);
    if (v === null) continue;
    if (!TS_RE.test(v) || !Number.isFinite(Date.parse(v))) return accessLogErrors.malformed(`${name} must be a UTC time stamp in the format yyyy-mm-ddThh:mm:ssZ`);
    const sec = Date.parse(v) / 1000;
    if (isEnd) hi = Math.min(hi, behaviour.accessLogEndInclusive ? s.firstAfter(sec) : s.firstAtOrAfter(sec));
    else lo = Math.max(lo, s.firstAtOrAfter(sec));
  }
  hi = Math.max(lo, hi);

  const checks: ((r: AccessLogRecord) => boolean)[] = [];
  const userId = p.get('filter[user_id]');
  if (userId !== null) {
    if (!/^\d+$/.test(userId)) return accessLogErrors.malformed('filter[user_id] must be a number');
    checks.push((r) => r.user_id === Number(userId));
  }
  const path = p.get('filter[path]');
  if (path !== null) checks.push((r) => r.url.split('?', 1)[0] === path);
  const browserUrl = p.get('filter[browser_url]');
  if (browserUrl !== null) checks.push((r) => r.referer === browserUrl);
  const graphql = p.get('filter[graphql]');
  if (graphql !== null) {
    if (graphql !== 'true') return accessLogErrors.malformed('filter[graphql] only accepts "true"');
    checks.push((r) => r.graphql === undefined);
  }
  const match = checks.length === 0 ? undefined : (r: AccessLogRecord) => checks.every((c) => c(r));

  const afterRaw = cursor(p, 'after');
  const beforeRaw = cursor(p, 'before');
  if (afterRaw !== null && beforeRaw !== null) return accessLogErrors.malformed('use either an after or a before cursor, not both');
  for (const c of [afterRaw, beforeRaw]) if (c !== null && !isUlid(c)) return accessLogErrors.malformed('invalid cursor');
  const backward = beforeRaw !== null;
  const page = keysetPage(s, {
    lo,
    hi,
    match,
    order: sort === '-created_at' ? 'desc' : 'asc',
    after: afterRaw !== null ? position(afterRaw) : undefined,
    before: beforeRaw !== null ? position(beforeRaw) : undefined,
    size,
    repeat: ctx.repeat,
  });
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  const drop = (k: string) => k.startsWith('page[') || k === 'filter[after]' || k === 'filter[before]';
  const sizeParam: [string, string] = ['page[size]', String(size)];
  return {
    status: 200,
    body: {
      access_logs: page.items.map((e) => e.r),
      links: {
        next: last ? buildLink(ctx.base, PATH, p, drop, [sizeParam, ['page[after]', last.r.id]]) : null,
        prev: first ? buildLink(ctx.base, PATH, p, drop, [sizeParam, ['page[before]', first.r.id]]) : null,
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

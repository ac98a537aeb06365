// GET /api/v2/audit_logs and GET /api/v2/audit_logs/{id}
// https://developer.zendesk.com/api-reference/ticketing/account-configuration/audit_logs/
// - filters: filter[source_type], filter[source_id] (requires filter[source_type]), filter[actor_id],
//   filter[ip_address], filter[action], filter[created_at] given twice (start, end; we accept both the
//   `filter[created_at][]` spelling from Zendesk's examples and the repeated plain key);
// - cursor pagination (https://developer.zendesk.com/api-reference/introduction/pagination/) when a
//   page[size]/page[after]/page[before] parameter is present: "Returns a maximum of 100 records per page",
//   `sort=-created_at` (default, newest first) or `sort=created_at`; envelope meta.has_more/after_cursor/
//   before_cursor and links.next/prev;
// - otherwise offset pagination (page, per_page, sort_by=created_at, sort_order=desc|asc) with
//   next_page/previous_page/count, and the 400 past the first 10,000 records that Zendesk announced for
//   offset pagination (support article 5591904358938).

import type { Dataset } from './data.js';
import { supportErrors } from './errors.js';
import { buildLink, decodeCursor, encodeCursor, intParam, type HandlerContext, type HandlerResult } from './http.js';
import { keysetPage, type Entry, type Position } from './store.js';
import type { AuditLogRecord } from './types.js';

export interface AuditLogBehaviour {
  /** What page[size] > 100 does: a 400 (default) or silently 100. The docs only say "a maximum of 100". */
  auditPageSizeOverflow?: 'error' | 'clamp';
}

const PATH = '/api/v2/audit_logs';
const MAX_PAGE = 100;
const OFFSET_LIMIT = 10_000;

function withBase(r: AuditLogRecord, ds: Dataset, base: string): AuditLogRecord {
  return base === ds.baseUrl ? r : { ...r, url: `${base}${PATH}/${r.id}.json` };
}

function parseTime(v: string): number {
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : NaN;
}

interface Filters {
  lo: number;
  hi: number;
  match?: (r: AuditLogRecord) => boolean;
}

function filters(ds: Dataset, p: URLSearchParams): Filters | HandlerResult {
  const created = [...p.getAll('filter[created_at][]'), ...p.getAll('filter[created_at]')];
  let lo = 0;
  let hi = ds.audit.length;
  if (created.length > 0) {
    if (created.length !== 2) return supportErrors.invalidValue('filter[created_at] must be specified twice: first the start time, then the end time');
    const [from, to] = created.map(parseTime) as [number, number];
    if (Number.isNaN(from) || Number.isNaN(to)) return supportErrors.invalidValue('filter[created_at] must be ISO 8601 timestamps, e.g. 2026-01-01T00:00:00Z');
    // Inclusive at both ends, at second precision.
    lo = ds.audit.firstAtOrAfter(from);
    hi = Math.max(lo, ds.audit.firstAfter(to));
  }
  const checks: ((r: AuditLogRecord) => boolean)[] = [];
  const sourceType = p.get('filter[source_type]');
  const sourceId = intParam(p, 'filter[source_id]');
  const actorId = p.get('filter[actor_id]');
  const ip = p.get('filter[ip_address]');
  const action = p.get('filter[action]');
  if (sourceId !== undefined && sourceType === null) return supportErrors.invalidValue('filter[source_id] requires filter[source_type] to also be set');
  if (sourceId !== undefined && Number.isNaN(sourceId)) return supportErrors.invalidValue('filter[source_id] must be an integer');
  if (actorId !== null && !/^-?\d+$/.test(actorId)) return supportErrors.invalidValue('filter[actor_id] must be an integer');
  if (sourceType !== null) checks.push((r) => r.source_type === sourceType);
  if (sourceId !== undefined) checks.push((r) => r.source_id === sourceId);
  if (actorId !== null) checks.push((r) => r.actor_id === Number(actorId));
  if (ip !== null) checks.push((r) => r.ip_address === ip);
  if (action !== null) checks.push((r) => r.action === action);
  const match = checks.length === 0 ? undefined : checks.length === 1 ? checks[0] : (r: AuditLogRecord) => checks.every((c) => c(r));
  return { lo, hi, match };
}

function isResult(v: Filters | HandlerResult): v is HandlerResult {
  return 'status' in v;
}

export function listAuditLogs(ds: Dataset, ctx: HandlerContext, behaviour: AuditLogBehaviour): HandlerResult {
  const p = ctx.url.searchParams;
  const f = filters(ds, p);
  if (isResult(f)) return f;
  const cursorMode = p.has('page[size]') || p.has('page[after]') || p.has('page[before]');
  return cursorMode ? cursorPage(ds, ctx, f, behaviour) : offsetPage(ds, ctx, f);
}

function cursorPage(ds: Dataset, ctx: HandlerContext, f: Filters, behaviour: AuditLogBehaviour): HandlerResult {
  const p = ctx.url.searchParams;
  let size = intParam(p, 'page[size]') ?? MAX_PAGE;
  if (Number.isNaN(size) || size < 1) return supportErrors.invalidPagination('page[size] must be a positive integer');
  if (size > MAX_PAGE) {
    if ((behaviour.auditPageSizeOverflow ?? 'error') === 'error') return supportErrors.invalidPagination(`page[size] is limited to ${MAX_PAGE}`);
    size = MAX_PAGE;
  }
  const sort = p.get('sort') ?? '-created_at';
  if (sort !== '-created_at' && sort !== 'created_at') return supportErrors.invalidValue('sort must be created_at or -created_at');
  const afterRaw = p.get('page[after]');
  const beforeRaw = p.get('page[before]');
  if (afterRaw !== null && beforeRaw !== null) return supportErrors.invalidPagination('page[after] and page[before] cannot be used together');
  let after: Position | undefined;
  let before: Position | undefined;
  if (afterRaw !== null && !(after = decodeCursor(afterRaw))) return supportErrors.invalidPagination('page[after] is not a valid cursor');
  if (beforeRaw !== null && !(before = decodeCursor(beforeRaw))) return supportErrors.invalidPagination('page[before] is not a valid cursor');

  const page = keysetPage(ds.audit, { lo: f.lo, hi: f.hi, match: f.match, order: sort === 'created_at' ? 'asc' : 'desc', after, before, size, repeat: ctx.repeat });
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  const afterCursor = last ? encodeCursor(last) : null;
  const beforeCursor = first ? encodeCursor(first) : null;
  const isPage = (k: string) => k.startsWith('page[');
  const sizeParam: [string, string] = ['page[size]', String(size)];
  return {
    status: 200,
    body: {
      audit_logs: page.items.map((e) => withBase(e.r, ds, ctx.base)),
      meta: {
        // In the direction of travel: for page[before] requests, whether older-in-sort-order pages remain.
        has_more: page.more,
        after_cursor: afterCursor,
        before_cursor: beforeCursor,
      },
      links: {
        next: afterCursor ? buildLink(ctx.base, PATH, p, isPage, [sizeParam, ['page[after]', afterCursor]]) : null,
        prev: beforeCursor ? buildLink(ctx.base, PATH, p, isPage, [sizeParam, ['page[before]', beforeCursor]]) : null,
      },
    },
  };
}

function offsetPage(ds: Dataset, ctx: HandlerContext, f: Filters): HandlerResult {
  const p = ctx.url.searchParams;
  const pageNo = intParam(p, 'page') ?? 1;
  let perPage = intParam(p, 'per_page') ?? 100;
  if (Number.isNaN(pageNo) || pageNo < 1) return supportErrors.invalidValue('page must be a positive integer');
  if (Number.isNaN(perPage) || perPage < 1) return supportErrors.invalidValue('per_page must be a positive integer');
  perPage = Math.min(perPage, MAX_PAGE);
  const sortBy = p.get('sort_by') ?? 'created_at';
  const sortOrder = p.get('sort_order') ?? 'desc';
  if (sortBy !== 'created_at') return supportErrors.invalidValue('sort_by must be created_at');
  if (sortOrder !== 'asc' && sortOrder !== 'desc') return supportErrors.invalidValue('sort_order must be asc or desc');
  if ((pageNo - 1) * perPage >= OFFSET_LIMIT) return supportErrors.invalidPagination('Pagination limit reached for offset model. Use cursor-based pagination (page[size]) instead.');

  const matched: Entry<AuditLogRecord>[] = [];
  const entries = ds.audit.entries;
  for (let i = f.lo; i < f.hi; i++) {
    const e = entries[i] as Entry<AuditLogRecord>;
    if (!f.match || f.match(e.r)) matched.push(e);
  }
  if (sortOrder === 'desc') matched.reverse();
  const start = (pageNo - 1) * perPage;
  const items = matched.slice(start, start + perPage);
  const link = (n: number) => buildLink(ctx.base, PATH, p, (k) => k === 'page' || k === 'per_page', [['page', String(n)], ['per_page', String(perPage)]]);
  return {
    status: 200,
    body: {
      audit_logs: items.map((e) => withBase(e.r, ds, ctx.base)),
      next_page: start + perPage < matched.length ? link(pageNo + 1) : null,
      previous_page: pageNo > 1 ? link(pageNo - 1) : null,
      count: matched.length,
    },
  };
}

export function showAuditLog(ds: Dataset, ctx: HandlerContext, id: number): HandlerResult {
  const e = ds.audit.entries.find((x) => x.k === id);
  if (!e) return supportErrors.recordNotFound();
  return { status: 200, body: { audit_log: withBase(e.r, ds, ctx.base) } };
}

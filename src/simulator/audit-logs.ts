// GET /api/v2/audit_logs and GET /api/v2/audit_logs/{id}
// https://developer.zendesk.com/api-reference/ticketing/account-configuration/audit_logs/
// Parameters are read as Zendesk's Rails stack reads them (rack-query.ts), and refused as Zendesk refuses them:
// - filter[created_at] "specified twice" means the array form filter[created_at][]=START&filter[created_at][]=END.
//   The bare key given twice is, to Rack, one value (the last), and Zendesk answers 400 InvalidValue with
//   the text in CREATED_AT_INVALID (quoted in fprimex/zdesk issue 36; test/reference/zendesk/README.md
//   "Known pitfalls"). Anything but an array of exactly two ISO 8601 times gets that answer.
// - filter[source_type], filter[source_id] (requires filter[source_type]), filter[actor_id], filter[ip_address],
//   filter[action]: one value each (the OpenAPI types them as a string/integer); an array, a hash or an
//   unknown filter[...] key is refused (stricter than Zendesk may be, never looser).
// - cursor pagination (https://developer.zendesk.com/api-reference/introduction/pagination/) when page[size]/
//   page[after]/page[before] is present: "Returns a maximum of 100 records per page" (400 above it),
//   `sort=-created_at` (default, newest first) or `sort=created_at`, anything else 400; envelope
//   meta.has_more/after_cursor/before_cursor and links.next/prev;
// - otherwise offset pagination (page, per_page, sort_by=created_at, sort_order=desc|asc) with
//   next_page/previous_page/count, and the 400 past the first 10,000 records that Zendesk announced for
//   offset pagination (support article 5591904358938).
// Opt-in misbehaviours for client tests (AuditLogBehaviour): newest-first whatever `sort` says, links.next
// without the filters, and a cursor cycle A -> B -> A.

import type { Dataset } from './data.js';
import { supportErrors } from './errors.js';
import { buildLink, decodeCursor, encodeCursor, intParam, type HandlerContext, type HandlerResult } from './http.js';
import { dig, isParams, scalar, type RackParams } from './rack-query.js';
import { keysetPage, type Entry, type Position } from './store.js';
import type { AuditLogRecord } from './types.js';

export interface AuditLogBehaviour {
  /** What page[size] > 100 does: a 400 (default) or silently 100. The docs only say "a maximum of 100". */
  auditPageSizeOverflow?: 'error' | 'clamp';
  /** Audit log and access log: always newest first, whatever `sort` asks for. Default false. */
  descendingOnly?: boolean;
  /** Audit log and access log: links.next carries only page[size] and the cursor, not the request's filters. Default false. */
  nextLinkDropsFilters?: boolean;
  /** Audit log: the third page's cursor points back to the second page (A -> B -> A ...), forever. Default false. */
  cursorCycle?: boolean;
}

const PATH = '/api/v2/audit_logs';
const MAX_PAGE = 100;
const OFFSET_LIMIT = 10_000;
/** Zendesk's answer to any filter[created_at] that is not the two-element array form. */
export const CREATED_AT_INVALID = 'Invalid filter[created_at] specified; format is ?filter[created_at][]=2019-01-01T00:00:00Z&filter[created_at][]=2019-01-02T00:00:00Z';
const FILTERS = new Set(['created_at', 'source_type', 'source_id', 'actor_id', 'ip_address', 'action']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;

function withBase(r: AuditLogRecord, ds: Dataset, base: string): AuditLogRecord {
  return base === ds.baseUrl ? r : { ...r, url: `${base}${PATH}/${r.id}.json` };
}

function parseTime(v: unknown): number {
  if (typeof v !== 'string' || !ISO.test(v)) return NaN;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : NaN;
}

interface Filters {
  lo: number;
  hi: number;
  match?: (r: AuditLogRecord) => boolean;
}

const invalidFilter = (name: string) => supportErrors.invalidValue(`Invalid filter[${name}] specified`);

function filters(ds: Dataset, q: RackParams): Filters | HandlerResult {
  const f = q.filter;
  if (f !== undefined && !isParams(f)) return supportErrors.invalidValue('Invalid filter specified');
  for (const k of Object.keys(f ?? {})) if (!FILTERS.has(k)) return invalidFilter(k);
  let lo = 0;
  let hi = ds.audit.length;
  const created = dig(q, 'filter', 'created_at');
  if (created !== undefined) {
    if (!Array.isArray(created) || created.length !== 2) return supportErrors.invalidValue(CREATED_AT_INVALID);
    const [from, to] = created.map(parseTime) as [number, number];
    if (Number.isNaN(from) || Number.isNaN(to)) return supportErrors.invalidValue(CREATED_AT_INVALID);
    // Inclusive at both ends, at second precision.
    lo = ds.audit.firstAtOrAfter(from);
    hi = Math.max(lo, ds.audit.firstAfter(to));
  }
  const one = (name: string): string | undefined | HandlerResult => {
    const v = scalar(q, 'filter', name);
    return typeof v === 'object' ? invalidFilter(name) : v;
  };
  const sourceType = one('source_type');
  const actorId = one('actor_id');
  const ip = one('ip_address');
  const action = one('action');
  const sourceIdRaw = one('source_id');
  for (const v of [sourceType, actorId, ip, action, sourceIdRaw]) if (typeof v === 'object') return v;
  const sourceId = sourceIdRaw === undefined ? undefined : intParam(q, 'filter', 'source_id');
  const checks: ((r: AuditLogRecord) => boolean)[] = [];
  if (sourceId !== undefined && sourceType === undefined) return supportErrors.invalidValue('filter[source_id] requires filter[source_type] to also be set');
  if (sourceId !== undefined && Number.isNaN(sourceId)) return invalidFilter('source_id');
  if (typeof actorId === 'string' && !/^-?\d+$/.test(actorId)) return invalidFilter('actor_id');
  if (typeof sourceType === 'string') checks.push((r) => r.source_type === sourceType);
  if (sourceId !== undefined) checks.push((r) => r.source_id === sourceId);
  if (typeof actorId === 'string') checks.push((r) => r.actor_id === Number(actorId));
  if (typeof ip === 'string') checks.push((r) => r.ip_address === ip);
  if (typeof action === 'string') checks.push((r) => r.action === action);
  const match = checks.length === 0 ? undefined : checks.length === 1 ? checks[0] : (r: AuditLogRecord) => checks.every((c) => c(r));
  return { lo, hi, match };
}

function isResult(v: Filters | HandlerResult): v is HandlerResult {
  return 'status' in v;
}

export function listAuditLogs(ds: Dataset, ctx: HandlerContext, behaviour: AuditLogBehaviour): HandlerResult {
  const q = ctx.query;
  const f = filters(ds, q);
  if (isResult(f)) return f;
  // page[size]/page[after]/page[before] make page a hash: cursor pagination; a plain page=N is offset pagination.
  return isParams(q.page) ? cursorPage(ds, ctx, f, behaviour) : offsetPage(ds, ctx, f, behaviour);
}

function cursorPage(ds: Dataset, ctx: HandlerContext, f: Filters, behaviour: AuditLogBehaviour): HandlerResult {
  const q = ctx.query;
  for (const k of Object.keys(q.page as RackParams)) if (!['size', 'after', 'before'].includes(k)) return supportErrors.invalidPagination(`page[${k}] is not a pagination parameter`);
  let size = intParam(q, 'page', 'size') ?? MAX_PAGE;
  if (Number.isNaN(size) || size < 1) return supportErrors.invalidPagination('page[size] must be a positive integer');
  if (size > MAX_PAGE) {
    if ((behaviour.auditPageSizeOverflow ?? 'error') === 'error') return supportErrors.invalidPagination(`page[size] is limited to ${MAX_PAGE}`);
    size = MAX_PAGE;
  }
  const sort = scalar(q, 'sort') ?? '-created_at';
  if (sort !== '-created_at' && sort !== 'created_at') return supportErrors.invalidValue('sort must be created_at or -created_at');
  const afterRaw = scalar(q, 'page', 'after');
  const beforeRaw = scalar(q, 'page', 'before');
  if (typeof afterRaw === 'object' || typeof beforeRaw === 'object') return supportErrors.invalidPagination('page[after] and page[before] take one cursor');
  if (afterRaw !== undefined && beforeRaw !== undefined) return supportErrors.invalidPagination('page[after] and page[before] cannot be used together');
  let after: Position | undefined;
  let before: Position | undefined;
  if (afterRaw !== undefined && !(after = decodeCursor(afterRaw))) return supportErrors.invalidPagination('page[after] is not a valid cursor');
  if (beforeRaw !== undefined && !(before = decodeCursor(beforeRaw))) return supportErrors.invalidPagination('page[before] is not a valid cursor');

  const order = sort === 'created_at' && !behaviour.descendingOnly ? 'asc' : 'desc';
  const page = keysetPage(ds.audit, { lo: f.lo, hi: f.hi, match: f.match, order, after, before, size, repeat: ctx.repeat });
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  let afterCursor = last ? encodeCursor(last) : null;
  const beforeCursor = first ? encodeCursor(first) : null;
  if (behaviour.cursorCycle && before === undefined) {
    // A -> B -> A: the first page's cursor is remembered; any later page points back to it.
    if (afterRaw === undefined) ctx.state.cycleStart = afterCursor ?? undefined;
    else if (afterRaw !== ctx.state.cycleStart && ctx.state.cycleStart) afterCursor = ctx.state.cycleStart;
  }
  const drop = behaviour.nextLinkDropsFilters ? () => true : (k: string) => k.startsWith('page[');
  const sizeParam: [string, string] = ['page[size]', String(size)];
  return {
    status: 200,
    body: {
      audit_logs: page.items.map((e) => withBase(e.r, ds, ctx.base)),
      meta: {
        // In the direction of travel: for page[before] requests, whether older-in-sort-order pages remain.
        has_more: behaviour.cursorCycle && afterCursor !== null && before === undefined ? true : page.more,
        after_cursor: afterCursor,
        before_cursor: beforeCursor,
      },
      links: {
        next: afterCursor ? buildLink(ctx.base, PATH, ctx.url.searchParams, drop, [sizeParam, ['page[after]', afterCursor]]) : null,
        prev: beforeCursor ? buildLink(ctx.base, PATH, ctx.url.searchParams, drop, [sizeParam, ['page[before]', beforeCursor]]) : null,
      },
    },
  };
}

function offsetPage(ds: Dataset, ctx: HandlerContext, f: Filters, behaviour: AuditLogBehaviour): HandlerResult {
  const q = ctx.query;
  const pageNo = intParam(q, 'page') ?? 1;
  let perPage = intParam(q, 'per_page') ?? 100;
  if (Number.isNaN(pageNo) || pageNo < 1) return supportErrors.invalidValue('page must be a positive integer');
  if (Number.isNaN(perPage) || perPage < 1) return supportErrors.invalidValue('per_page must be a positive integer');
  perPage = Math.min(perPage, MAX_PAGE);
  const sortBy = scalar(q, 'sort_by') ?? 'created_at';
  const sortOrder = scalar(q, 'sort_order') ?? 'desc';
  if (sortBy !== 'created_at') return supportErrors.invalidValue('sort_by must be created_at');
  if (sortOrder !== 'asc' && sortOrder !== 'desc') return supportErrors.invalidValue('sort_order must be asc or desc');
  if ((pageNo - 1) * perPage >= OFFSET_LIMIT) return supportErrors.invalidPagination('Pagination limit reached for offset model. Use cursor-based pagination (page[size]) instead.');

  const matched: Entry<AuditLogRecord>[] = [];
  const entries = ds.audit.entries;
  for (let i = f.lo; i < f.hi; i++) {
    const e = entries[i] as Entry<AuditLogRecord>;
    if (!f.match || f.match(e.r)) matched.push(e);
  }
  if (sortOrder === 'desc' || behaviour.descendingOnly) matched.reverse();
  const start = (pageNo - 1) * perPage;
  const items = matched.slice(start, start + perPage);
  const link = (n: number) => buildLink(ctx.base, PATH, ctx.url.searchParams, (k) => k === 'page' || k === 'per_page', [['page', String(n)], ['per_page', String(perPage)]]);
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

// GET /api/v2/deleted_tickets — soft-deleted tickets, not yet scrubbed (30 days) or archived.
// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-deleted-tickets
// - fields per record: id, subject, description, actor {id, name}, previous_state, deleted_at
//   (the documented example shows all but description, which the ticket JSON format adds);
// - "Returns a maximum of 100 deleted tickets per page"; cursor pagination (recommended:
//   page[size], page[after], page[before]; envelope meta.has_more/after_cursor/before_cursor and
//   links.next/prev) or offset pagination (page, per_page; next_page/previous_page/count);
//   the two styles cannot be mixed in one request;
// - sort_by (TicketSortBy: id, subject, deleted_at, created_at, ...) and sort_order (asc default,
//   desc). Without sort_by the docs say "ordered chronologically by created date", which here is
//   the ticket id (ids grow with creation);
// - "10 requests every 1 minute" on this endpoint: not modelled as its own budget here (the
//   account budget applies); the source keeps its own 10/min endpoint limit.
// - The list is not append-only: restoring a ticket removes it, and deleting it again gives it
//   a new deleted_at.

import { isoSec, toSec, SYSTEM_ACTOR } from './time.js';
import { supportErrors } from './errors.js';
import { buildLink, intParam, type HandlerContext, type HandlerResult } from './http.js';
import { scalar } from './rack-query.js';
import { childRng, int, pick, type Rng } from './prng.js';
import type { DeletedTicketRecord } from './types.js';
import * as V from './vocab.js';

const PATH = '/api/v2/deleted_tickets';
const MAX_PAGE = 100;
const SORT_BY = ['id', 'created_at', 'deleted_at', 'subject'] as const;
type SortBy = (typeof SORT_BY)[number];
const PREVIOUS_STATES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;

/** The current set of soft-deleted tickets, one entry per ticket id. */
export class DeletedTicketList {
  private readonly byId = new Map<number, DeletedTicketRecord>();

  put(r: DeletedTicketRecord): void {
    this.byId.set(r.id, r);
  }

  /** Restoring a ticket takes it off the list. Returns whether it was there. */
  restore(id: number): boolean {
    return this.byId.delete(id);
  }

  records(): DeletedTicketRecord[] {
    return [...this.byId.values()].sort((a, b) => toSec(a.deleted_at) - toSec(b.deleted_at) || a.id - b.id);
  }

  get size(): number {
    return this.byId.size;
  }
}

export interface DeletionFactory {
  people: readonly { id: number; name: string }[];
  rng: Rng;
  nextTicketId: number;
}

export function deletionFactory(seed: number, people: readonly { id: number; name: string }[]): DeletionFactory {
  return { people, rng: childRng(seed, 'deleted_tickets'), nextTicketId: 70_000 };
}

/** One deletion by `actor` (default: a random agent) at second `sec`. */
export function makeDeletion(f: DeletionFactory, sec: number, actor?: { id: number; name: string }): DeletedTicketRecord {
  const rng = f.rng;
  f.nextTicketId += int(rng, 1, 40);
  const who = actor ?? (int(rng, 0, 19) === 0 ? SYSTEM_ACTOR : pick(rng, f.people));
  const subject = pick(rng, V.TICKET_SUBJECTS);
  return {
    actor: { id: who.id, name: who.name },
    deleted_at: isoSec(sec),
    description: `${pick(rng, V.COMMENT_BODIES)}`,
    id: f.nextTicketId,
    previous_state: pick(rng, PREVIOUS_STATES),
    subject,
  };
}

/**
 * `count` deletions spread over the 30 days before `endSec` (never before `startSec`), plus,
 * when there are at least 20, one mass deletion: a single agent deleting 15 tickets within
 * two minutes, the pattern the mass-deletion rule is for.
 */
export function generateDeletions(f: DeletionFactory, count: number, startSec: number, endSec: number): DeletedTicketList {
  const list = new DeletedTicketList();
  const from = Math.max(startSec, endSec - 30 * 86_400);
  const burst = count >= 20 ? 15 : 0;
  for (let i = 0; i < count - burst; i++) list.put(makeDeletion(f, from + Math.floor(f.rng() * (endSec - from + 1))));
  if (burst > 0) {
    const actor = pick(f.rng, f.people);
    const at = from + Math.floor((endSec - from) / 2);
    for (let i = 0; i < burst; i++) list.put(makeDeletion(f, at + i * 8, actor));
  }
  return list;
}

interface Cursor {
  v: number | string;
  id: number;
}

function sortValue(r: DeletedTicketRecord, by: SortBy): number | string {
  if (by === 'deleted_at') return toSec(r.deleted_at);
  if (by === 'subject') return r.subject;
  return r.id;
}

function compare(a: Cursor, b: Cursor): number {
  if (a.v !== b.v) return a.v < b.v ? -1 : 1;
  return a.id - b.id;
}

function encode(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decode(s: string): Cursor | undefined {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    return (typeof c.v === 'number' || typeof c.v === 'string') && Number.isSafeInteger(c.id) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** A parameter Zendesk reads as one value: a list or hash in its place is refused, as Rails would. */
function one(ctx: HandlerContext, ...path: string[]): string | null | { bad: string } {
  const v = scalar(ctx.query, ...path);
  if (v === undefined) return null;
  if (typeof v !== 'string') return { bad: `${path[0]}${path.slice(1).map((k) => `[${k}]`).join('')} must be a single value` };
  return v;
}

export function listDeletedTickets(list: DeletedTicketList, ctx: HandlerContext): HandlerResult {
  const sortByParam = one(ctx, 'sort_by');
  const orderParam = one(ctx, 'sort_order');
  for (const v of [sortByParam, orderParam]) if (v && typeof v === 'object') return supportErrors.invalidValue(v.bad);
  const sortByRaw = (sortByParam as string | null) ?? 'id';
  if (!(SORT_BY as readonly string[]).includes(sortByRaw)) return supportErrors.invalidValue(`sort_by must be one of ${SORT_BY.join(', ')}`);
  const sortBy = sortByRaw as SortBy;
  const order = (orderParam as string | null) ?? 'asc';
  if (order !== 'asc' && order !== 'desc') return supportErrors.invalidValue('sort_order must be asc or desc');
  const page = ctx.query.page;
  // `page` is a hash (page[size], page[after], page[before]) in cursor mode, a number in offset mode.
  const cursorMode = typeof page === 'object' && page !== null && !Array.isArray(page);
  if (cursorMode && ctx.query.per_page !== undefined) return supportErrors.invalidPagination('cursor pagination (page[size], page[after], page[before]) cannot be combined with offset pagination (page, per_page)');

  const dir = order === 'asc' ? 1 : -1;
  const keyed = list.records().map((r) => ({ r, c: { v: sortValue(r, sortBy), id: r.id } }));
  keyed.sort((a, b) => dir * compare(a.c, b.c));
  return cursorMode ? cursorPage(keyed, ctx, dir) : offsetPage(keyed, ctx);
}

function cursorPage(keyed: { r: DeletedTicketRecord; c: Cursor }[], ctx: HandlerContext, dir: number): HandlerResult {
  const p = ctx.url.searchParams;
  const size = intParam(ctx.query, 'page', 'size') ?? MAX_PAGE;
  if (Number.isNaN(size) || size < 1) return supportErrors.invalidPagination('page[size] must be a positive integer');
  if (size > MAX_PAGE) return supportErrors.invalidPagination(`page[size] is limited to ${MAX_PAGE}`);
  const afterParam = one(ctx, 'page', 'after');
  const beforeParam = one(ctx, 'page', 'before');
  for (const v of [afterParam, beforeParam]) if (v && typeof v === 'object') return supportErrors.invalidPagination(v.bad);
  const afterRaw = afterParam as string | null;
  const beforeRaw = beforeParam as string | null;
  if (afterRaw !== null && beforeRaw !== null) return supportErrors.invalidPagination('page[after] and page[before] cannot be used together');
  let start = 0;
  let end: number;
  if (afterRaw !== null) {
    const after = decode(afterRaw);
    if (!after) return supportErrors.invalidPagination('page[after] is not a valid cursor');
    // First record past the cursor in this order: robust to records removed since (restores).
    while (start < keyed.length && dir * compare((keyed[start] as { c: Cursor }).c, after) <= 0) start++;
    start = Math.max(0, start - ctx.repeat);
    end = Math.min(keyed.length, start + size);
  } else if (beforeRaw !== null) {
    const before = decode(beforeRaw);
    if (!before) return supportErrors.invalidPagination('page[before] is not a valid cursor');
    end = 0;
    while (end < keyed.length && dir * compare((keyed[end] as { c: Cursor }).c, before) < 0) end++;
    start = Math.max(0, end - size);
  } else end = Math.min(keyed.length, size);
  const page = keyed.slice(start, end);
  const first = page[0];
  const last = page[page.length - 1];
  const afterCursor = last ? encode(last.c) : null;
  const beforeCursor = first ? encode(first.c) : null;
  const isPage = (k: string) => k.startsWith('page[');
  const sizeParam: [string, string] = ['page[size]', String(size)];
  return {
    status: 200,
    body: {
      deleted_tickets: page.map((k) => k.r),
      meta: { has_more: beforeRaw !== null ? start > 0 : end < keyed.length, after_cursor: afterCursor, before_cursor: beforeCursor },
      links: {
        next: afterCursor ? buildLink(ctx.base, PATH, p, isPage, [sizeParam, ['page[after]', afterCursor]]) : null,
        prev: beforeCursor ? buildLink(ctx.base, PATH, p, isPage, [sizeParam, ['page[before]', beforeCursor]]) : null,
      },
    },
  };
}

function offsetPage(keyed: { r: DeletedTicketRecord }[], ctx: HandlerContext): HandlerResult {
  const p = ctx.url.searchParams;
  const pageNo = intParam(ctx.query, 'page') ?? 1;
  const perPage = intParam(ctx.query, 'per_page') ?? MAX_PAGE;
  if (Number.isNaN(pageNo) || pageNo < 1) return supportErrors.invalidValue('page must be a positive integer');
  if (Number.isNaN(perPage) || perPage < 1) return supportErrors.invalidValue('per_page must be a positive integer');
  const size = Math.min(perPage, MAX_PAGE);
  const start = (pageNo - 1) * size;
  const link = (n: number) => buildLink(ctx.base, PATH, p, (k) => k === 'page' || k === 'per_page', [['page', String(n)], ['per_page', String(size)]]);
  return {
    status: 200,
    body: {
      deleted_tickets: keyed.slice(start, start + size).map((k) => k.r),
      next_page: start + size < keyed.length ? link(pageNo + 1) : null,
      previous_page: pageNo > 1 ? link(pageNo - 1) : null,
      count: keyed.length,
    },
  };
}

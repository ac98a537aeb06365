// GET /api/v2/incremental/ticket_events?start_time={unix seconds} — time-based incremental export.
// https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
// - start_time "Must be at least one minute in the past. Data isn't provided for the most recent minute";
//   too recent a start_time is refused with 422 {"error":"InvalidValue","description":"Too recent start_time. ..."}
//   (the status and wording are what clients in the wild handle; the docs give no error example);
// - per_page up to 1,000 (default 1,000); "the system may exceed the 1000-item default return limit if
//   items share the same timestamp": a page never splits a second;
// - envelope count, end_of_stream, end_time ("The most recent time present in the result set ... Use as
//   the start_time to fetch the next page"), next_page; so the next page starts with that second again
//   and clients must de-duplicate by id;
// - include=comment_events sideloads Comment child events; without it "any comment present in the ticket
//   update is described only by Boolean comment_present and comment_public object properties in the
//   event's child_events array".

import { isoSec, type Dataset } from './data.js';
import { supportErrors } from './errors.js';
import { buildLink, intParam, type HandlerContext, type HandlerResult } from './http.js';
import { scalar } from './rack-query.js';
import { chance, int, type Rng } from './prng.js';
import type { Entry } from './store.js';
import type { TicketChildEvent, TicketEventRecord } from './types.js';

export interface TicketEventBehaviour {
  /** Minimum age of start_time and of exported events, seconds. Default 60 ("one minute"). */
  incrementalMinAgeSeconds?: number;
  /**
   * end_time of a non-empty page: 'last' (default, as documented: the last event's second, so the next
   * page repeats that second) or 'next-second' (last + 1: no repeats, safe because seconds are never split).
   */
  ticketEventsEndTime?: 'last' | 'next-second';
  /**
   * Live ticket events that reach the export late: this fraction of them is dated `minDelaySeconds`..
   * `maxDelaySeconds` before the moment it arrives, so it shows up at a start_time a client has
   * already passed (the export is ordered by time). Default: none late.
   */
  ticketEventsLate?: { fraction: number; minDelaySeconds: number; maxDelaySeconds: number };
  /** Leave `end_time` out of export pages ('absent') or send it as null ('null'), as a misbehaving proxy or API change might. */
  ticketEventsEndTimeMissing?: 'absent' | 'null';
}

/** Backdates a seeded share of freshly arrived events (see `ticketEventsLate`); returns them for insertion. */
export function backdateLate(records: TicketEventRecord[], rng: Rng, late: TicketEventBehaviour['ticketEventsLate']): TicketEventRecord[] {
  if (!late || !(late.fraction > 0)) return records;
  for (const r of records) {
    if (!chance(rng, late.fraction)) continue;
    const sec = r.timestamp - int(rng, late.minDelaySeconds, Math.max(late.minDelaySeconds, late.maxDelaySeconds));
    const at = isoSec(sec);
    r.timestamp = sec;
    r.created_at = at;
    for (const c of r.child_events) if (typeof c.created_at === 'string') c.created_at = at;
  }
  return records;
}

const PATH = '/api/v2/incremental/ticket_events';
const MAX_PAGE = 1000;

/** The event as served: Comment children only with the sideload, else comment_present/comment_public flags. */
export function presentEvent(r: TicketEventRecord, withComments: boolean): TicketEventRecord {
  if (withComments) return r;
  const comments = r.child_events.filter((c) => c.event_type === 'Comment');
  if (comments.length === 0) return r;
  const isPublic = comments.some((c) => c.public === true);
  const children: TicketChildEvent[] = [];
  for (const c of r.child_events) if (c.event_type !== 'Comment') children.push({ ...c, comment_present: true, comment_public: isPublic });
  return { ...r, child_events: children };
}

export function exportTicketEvents(ds: Dataset, ctx: HandlerContext, behaviour: TicketEventBehaviour): HandlerResult {
  const p = ctx.url.searchParams;
  const minAge = behaviour.incrementalMinAgeSeconds ?? 60;
  const nowSec = Math.floor(ctx.nowMs / 1000);
  const raw = scalar(ctx.query, 'start_time');
  if (typeof raw === 'object') return supportErrors.invalidValue('start_time must be a Unix epoch time in seconds');
  if (raw === undefined || raw.trim() === '') return supportErrors.invalidValue('start_time is required');
  if (!/^-?\d+$/.test(raw.trim())) return supportErrors.invalidValue('start_time must be a Unix epoch time in seconds');
  const start = Number(raw.trim());
  const cutoff = nowSec - minAge;
  if (start > cutoff) {
    const age = minAge % 60 === 0 ? `${minAge / 60} minute${minAge === 60 ? '' : 's'}` : `${minAge} seconds`;
    return supportErrors.invalidValue(`Too recent start_time. Use a start_time older than ${age}`, 422);
  }
  let perPage = intParam(ctx.query, 'per_page') ?? MAX_PAGE;
  if (Number.isNaN(perPage) || perPage < 1) return supportErrors.invalidValue('per_page must be a positive integer');
  perPage = Math.min(perPage, MAX_PAGE);
  const include = scalar(ctx.query, 'include');
  const withComments = (typeof include === 'string' ? include : '').split(',').map((s) => s.trim()).includes('comment_events');

  const s = ds.ticketEvents;
  const entries = s.entries;
  // Events within the last minute are not exported yet.
  const hi = s.firstAfter(cutoff);
  let lo = Math.min(s.firstAtOrAfter(start), hi);
  if (ctx.repeat > 0) lo = Math.max(0, lo - ctx.repeat);
  let end = Math.min(hi, lo + perPage);
  // Never split a second: extend the page through every event sharing the last one's timestamp.
  if (end > lo && end < hi) {
    const lastT = (entries[end - 1] as Entry<TicketEventRecord>).t;
    while (end < hi && (entries[end] as Entry<TicketEventRecord>).t === lastT) end++;
  }
  const page = entries.slice(lo, end);
  const last = page[page.length - 1];
  const endTime = last ? ((behaviour.ticketEventsEndTime ?? 'last') === 'next-second' ? last.t + 1 : last.t) : start;
  const body: Record<string, unknown> = {
    count: page.length,
    end_of_stream: end >= hi,
    end_time: endTime,
    next_page: buildLink(ctx.base, PATH, p, (k) => k === 'start_time', [['start_time', String(endTime)]]),
    ticket_events: page.map((e) => presentEvent(e.r, withComments)),
  };
  if (behaviour.ticketEventsEndTimeMissing === 'absent') delete body.end_time;
  else if (behaviour.ticketEventsEndTimeMissing === 'null') body.end_time = null;
  return { status: 200, body };
}

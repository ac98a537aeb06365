// The closed-window poller behind the audit-log and access-log sources.
//
// Zendesk timestamps have second precision, the audit log is newest-first by default, and
// records can show up late. So instead of trusting a cursor across runs, each poll reads a
// *closed* time window to its end and dedupes by id:
//
//   window = [lo, end],  end = min(now - settle, done + windowMs)
//                        lo  = done, or up to `lookback` before it near the live tail
//
// `done` is the committed high-water mark: every record visible up to it was emitted. The
// lookback re-reads a margin before it (late arrivals, and inclusive/exclusive bound ambiguity
// at second precision), but only where a late record can still turn up: records dated after
// (the moment the previous window was first requested − lookback − settle), `recheckFrom` in
// the checkpoint. At the live tail that is the whole lookback; in a backfill, whose windows are
// read long after their records were written, it is nothing, so a backfill reads no record
// twice. (A checkpoint without `recheckFrom`, from an older version, re-reads the lookback once.)
// Ids at a window's boundary and inside the next window's re-read stay in `seen`, so nothing
// is emitted twice. Invalid records are remembered the same way (`dead`), so one re-read in
// the lookback is dead-lettered once.
//
// Pages come in the order asked for (cursor pagination walks a sorted index), so a
// newest-first page proves everything after its oldest second is read: the part of the window
// still to read narrows page by page (`current.hi`; `current.lo` when oldest-first), each
// page's batch commits that, and `seen` keeps only the ids at the cut and those the next
// window meets again. A restart re-reads from the cut, not from the window's start, so windows
// need no page cap: a window read in order is `maxWindow` long (the first one too), and a
// backfill costs its pages plus one partial page per window, i.e. ceil(records / page size)
// when it spans less than `maxWindow`. A page out of order (or several request series per
// window) turns narrowing off: the window is kept whole in the checkpoint with every id read
// in it, and the page cap applies (the first window is `initialWindow` long, one needing too
// many pages is restarted at a quarter of its size, a quiet one doubles). The next page is requested while
// the current one is processed (one page ahead; none after a page over PREFETCH_MAX_BYTES).
//
// Paging inside a window never leaves it: a links.next that lost the window's filters is
// replaced by the window's own first URL plus the cursor, a page lying wholly beyond the
// window in the direction of travel ends it, and a cursor seen before in the same window is a
// loop. A loop or a page that stays malformed leaves the window uncommitted: it is read again
// at the next poll (with --once the run fails loudly); nothing is skipped.

import { createHash } from 'node:crypto';
import { pageText, type SourceContext, type SourceRecord } from '../../core/types.js';
import { MalformedPageError, ZendeskRequestError, type ZendeskClient } from './client.js';

export interface WindowState {
  /** Committed high-water mark, epoch ms (second precision). */
  done: number;
  /** Current window size, ms. */
  windowMs: number;
  /** Ids emitted that a later read can meet again (the next window's re-read, the cut of the current one): id -> epoch seconds. */
  seen: Record<string, number>;
  /** Invalid records already dead-lettered (id, or a hash of the record) -> epoch seconds of the window end that met them. */
  dead?: Record<string, number>;
  /**
   * Epoch ms: records dated from here on may have become visible only after the window that
   * ended at `done` was first requested; the next window re-reads from here (at most the
   * lookback before `done`). Absent (older checkpoints): the whole lookback.
   */
  recheckFrom?: number;
  /**
   * The window being read: [lo, hi] is what is still to read (in-order pages narrow it), `end`
   * where `done` moves once it is read (absent: hi), `readAt` when its first request went out.
   */
  current?: { lo: number; hi: number; end?: number; readAt?: number };
}

export interface WindowSpec {
  stream: 'audit_log' | 'access_log';
  listKey: string;
  /**
   * First URLs (path + query) of a window [lo, hi] (epoch ms, whole seconds): one per request
   * series, e.g. one per filter value when Zendesk takes only one value per filter.
   */
  requests(lo: number, hi: number): string[];
  /** The order the requests ask for (the server default counts): lets a page beyond the window end it. */
  order: 'asc' | 'desc';
  /** Upstream time of a record, epoch ms, or undefined when missing/invalid. */
  timeOf(raw: Record<string, unknown>): number | undefined;
  endpoint?: string;
  endpointLimit?: number;
  /** A window needing more pages than this is restarted smaller. */
  maxPagesPerWindow: number;
  /**
   * Zendesk refused a request with 400. Return true when the source changed how it asks and the
   * same window should be read again; false to fail with Zendesk's text.
   */
  onBadRequest?(err: ZendeskRequestError): boolean;
}

export interface WindowOptions {
  account: string;
  startTime: number;
  lookbackMs: number;
  settleMs: number;
  pollIntervalMs: number;
  initialWindowMs: number;
  maxWindowMs: number;
  requestTimeoutMs: number;
}

/** The same cursor came back within one window: following it would never end. */
export class CursorLoopError extends Error {
  constructor(
    readonly url: string,
    readonly pages: number,
  ) {
    super(`cursor loop: ${url} was already requested in this window (after ${pages} pages)`);
    this.name = 'CursorLoopError';
  }
}

const floorSec = (ms: number) => Math.floor(ms / 1000) * 1000;
/** No page is requested ahead after a page this large: at most two pages of this size are held. */
export const PREFETCH_MAX_BYTES = 8 * 1024 * 1024;
const iso = (ms: number) => new Date(ms).toISOString();

export function isWindowState(x: unknown): x is WindowState {
  const s = x as WindowState;
  return !!s && typeof s === 'object' && typeof s.done === 'number' && typeof s.windowMs === 'number' && !!s.seen && typeof s.seen === 'object';
}

/** The filter[...] parameters of a URL (cursors aside), decoded and sorted, to compare two URLs' filters. */
function filterSignature(pathOrUrl: string): string {
  const q = new URL(pathOrUrl, 'http://x.invalid').searchParams;
  const out: string[] = [];
  for (const [k, v] of q) if (k.startsWith('filter[') && k !== 'filter[after]' && k !== 'filter[before]') out.push(`${k}=${v}`);
  return out.sort().join('&');
}

function cursorOf(meta: { after_cursor?: unknown } | undefined, next: string | null): string | undefined {
  if (typeof meta?.after_cursor === 'string' && meta.after_cursor !== '') return meta.after_cursor;
  if (!next) return undefined;
  const q = new URL(next, 'http://x.invalid').searchParams;
  return q.get('page[after]') ?? q.get('filter[after]') ?? undefined;
}

function withCursor(first: string, cursor: string): string {
  return `${first}${first.includes('?') ? '&' : '?'}page%5Bafter%5D=${encodeURIComponent(cursor)}`;
}

/** How an invalid record is remembered: its id when it has one, else a hash of its JSON. */
function deadKey(raw: unknown, id: unknown): string {
  if ((typeof id === 'number' || typeof id === 'string') && id !== '') return `id:${String(id)}`;
  return `sha256:${createHash('sha256').update(JSON.stringify(raw) ?? 'undefined').digest('hex').slice(0, 32)}`;
}

/** Where the window after one ending at `end` starts: the lookback only where late records can still appear. */
export function nextWindowStart(end: number, lookbackMs: number, recheckFrom: number | undefined): number {
  return Math.max(0, Math.min(end, Math.max(end - lookbackMs, recheckFrom ?? -Infinity)));
}

/** The entries of `m` (and `extra`) whose second is inside [fromSec, toSec] or at/after keepSec. */
function keepIds(m: Record<string, number>, extra: Map<string, number> | undefined, fromSec: number, toSec: number, keepSec: number): Record<string, number> {
  const out: Record<string, number> = {};
  const keep = (t: number) => t >= keepSec || (t >= fromSec && t <= toSec);
  for (const k in m) if (keep(m[k]!)) out[k] = m[k]!;
  if (extra) for (const [k, t] of extra) if (keep(t)) out[k] = t;
  return out;
}

interface InvalidRecord {
  key: string;
  raw: unknown;
  missing: 'time' | 'id';
}

export async function runWindowedPoller(ctx: SourceContext, client: ZendeskClient, spec: WindowSpec, o: WindowOptions, progress: Progress): Promise<void> {
  let state: WindowState;
  if (ctx.checkpoint === undefined) {
    // A first run starts at startTime: nothing before it was read, so nothing is re-read.
    const start = floorSec(o.startTime);
    state = { done: start, windowMs: o.initialWindowMs, seen: {}, dead: {}, recheckFrom: start };
  } else if (isWindowState(ctx.checkpoint)) state = { ...ctx.checkpoint, dead: ctx.checkpoint.dead ?? {} };
  else throw new Error(`checkpoint of ${ctx.id} has an unexpected shape; run \`zsf checkpoints reset ${ctx.id}\` to start again from startTime`);

  // --once catches up to the moment it started; follow mode keeps moving the target.
  const onceTarget = floorSec(ctx.now() - o.settleMs);
  let malformedStreak = 0;
  let warnedFilters = false;
  // Whether pages have come in the order asked for; narrowing windows relies on it.
  let ordered = true;
  const maxAttempts = ctx.once ? 8 : undefined;
  const getOpts = { ctx, signal: ctx.signal, timeoutMs: o.requestTimeoutMs, ...(spec.endpoint ? { endpoint: spec.endpoint } : {}), ...(spec.endpointLimit ? { endpointLimit: spec.endpointLimit } : {}), ...(maxAttempts ? { maxAttempts } : {}) };

  while (!ctx.signal.aborted) {
    const target = ctx.once ? onceTarget : floorSec(ctx.now() - o.settleMs);
    if (!state.current && state.done >= target) {
      if (ctx.once) return;
      progress.caughtUp(state.done);
      ctx.reached(state.done);
      await ctx.sleep(o.pollIntervalMs, ctx.signal).catch(() => undefined);
      continue;
    }
    if (!state.current) {
      // Read in order, a window costs its pages plus one partial page however long it is, so it
      // is `maxWindow` long from the first; `windowMs` (from `initialWindow`, then adapted to the
      // page cap) sizes windows only while they are kept whole.
      const windowMs = ordered && spec.requests(state.done, state.done).length === 1 ? o.maxWindowMs : state.windowMs;
      const end = Math.min(target, state.done + windowMs);
      state = { ...state, current: { lo: nextWindowStart(state.done, o.lookbackMs, state.recheckFrom), hi: end, end, readAt: ctx.now() } };
    }
    const window = state.current!;
    // The bounds the requests of this read carry; `window` narrows as pages are read.
    const { lo, hi } = window;
    const end = window.end ?? hi;
    const readAt = window.readAt;
    // Where the next window will start: ids from there on are met again and stay in `seen`.
    const recheckAfter = readAt === undefined ? undefined : floorSec(readAt - o.lookbackMs - o.settleMs);
    const keepSec = Math.floor(nextWindowStart(end, o.lookbackMs, recheckAfter) / 1000);
    const requests = spec.requests(lo, hi);
    // Several request series each cover the whole window: only one can narrow it.
    let narrowing: boolean = ordered && requests.length === 1;
    let remLo = lo;
    let remHi = hi;

    let pages = 0;
    let shrunk = false;
    let retryWindow = false;
    let prefetched: ReturnType<ZendeskClient['getJson']> | undefined;
    try {
      series: for (const first of requests) {
        let url: string | null = first;
        // Every URL requested in this series of this window: a repeat is a cursor loop.
        const requested = new Set<string>([client.resolve(first)]);
        // The last record time of the previous page: the next page must not go back past it.
        let edge: number | undefined;
        while (url) {
          const { body, text, bytes } = await (prefetched ?? client.getJson(url, getOpts));
          prefetched = undefined;
          pages++;
          const items = body[spec.listKey];
          const page = ctx.keepPages ? pageText(spec.listKey, text) : undefined;
          if (!Array.isArray(items)) throw new MalformedPageError(url, JSON.stringify(body).slice(0, 10_000), `no "${spec.listKey}" array`);

          // Sort the page out first (no awaits), so that the next page can be requested before it is processed.
          const records: SourceRecord[] = [];
          const fresh = new Map<string, number>();
          const invalid: InvalidRecord[] = [];
          let before = 0;
          let beyond = 0;
          // Whether the page really is in the order asked for, also after the previous page
          // (a page in the other order proves nothing about what follows).
          let inOrder = true;
          let prevTime = edge;
          let oldest = Infinity;
          let newest = -Infinity;
          for (let index = 0; index < (items as unknown[]).length; index++) {
            const raw = (items as unknown[])[index];
            const rec = raw as Record<string, unknown>;
            const id = rec && typeof rec === 'object' ? rec.id : undefined;
            const time = rec && typeof rec === 'object' ? spec.timeOf(rec) : undefined;
            if ((typeof id !== 'number' && typeof id !== 'string') || id === '' || time === undefined) {
              const key = deadKey(raw, id);
              if (!(key in state.dead!) && !invalid.some((x) => x.key === key)) invalid.push({ key, raw, missing: time === undefined ? 'time' : 'id' });
              continue;
            }
            if (prevTime !== undefined && (spec.order === 'desc' ? time > prevTime : time < prevTime)) inOrder = false;
            prevTime = time;
            oldest = Math.min(oldest, time);
            newest = Math.max(newest, time);
            // Client-side window check: correct even if the server ignored the time filter.
            if (time < lo || time > hi) {
              if (time < lo) before++;
              else beyond++;
              continue;
            }
            const key = String(id);
            if (key in state.seen || fresh.has(key)) continue;
            fresh.set(key, Math.floor(time / 1000));
            const record: SourceRecord = { account: o.account, stream: spec.stream, id: key, time, raw: rec };
            if (page) record.page = { page, index };
            records.push(record);
          }
          if (prevTime !== undefined) edge = prevTime;

          // What follows this page.
          const meta = body.meta as { has_more?: unknown; after_cursor?: unknown } | undefined;
          let next: string | null = null;
          let loop: CursorLoopError | undefined;
          // A whole page, in the order asked for, past the window in the direction of travel: the
          // rest is further away still (a backstop for a server that ignores the window's filters).
          const outsideAhead = spec.order === 'desc' ? before : beyond;
          if (meta?.has_more === true && items.length > 0 && !(inOrder && outsideAhead > 0 && outsideAhead === items.length)) {
            const links = body.links as { next?: unknown } | undefined;
            next = typeof links?.next === 'string' ? links.next : null;
            const cursor = cursorOf(meta, next);
            if (cursor !== undefined && (next === null || filterSignature(next) !== filterSignature(first))) {
              // links.next lost the window's filters (or is missing): following it would page into
              // the whole history. Ask again with our own filters and Zendesk's cursor.
              if (!warnedFilters && next !== null) ctx.logger.warn({ next: client.resolve(next) }, "links.next does not carry the window's filters; re-sending them with the cursor");
              warnedFilters = true;
              next = withCursor(first, cursor);
            }
            if (next !== null) {
              const key = client.resolve(next);
              if (requested.has(key)) loop = new CursorLoopError(key, pages);
              requested.add(key);
            }
          }

          if (!inOrder && narrowing) {
            // Narrowing relied on the order: keep the whole window from here on (ids pruned so far
            // may be emitted once more; nothing is lost), and the page cap applies again.
            ordered = narrowing = false;
            remLo = lo;
            remHi = hi;
            ctx.logger.warn({ url: client.resolve(url), window: { lo: iso(lo), hi: iso(hi) } }, 'Zendesk returned a page out of the order asked for; windows are kept whole in the checkpoint from now on');
          }
          const shrink = !narrowing && next !== null && !loop && pages >= spec.maxPagesPerWindow && hi - lo > 1000;
          if (next !== null && !loop && !shrink && bytes <= PREFETCH_MAX_BYTES) {
            // Awaited at the top of the loop; if this page fails first, its error is the one that counts.
            prefetched = client.getJson(next, getOpts);
            prefetched.catch(() => undefined);
          }

          let deadLettered = 0;
          if (invalid.length) {
            const dead = { ...state.dead };
            for (const x of invalid) {
              dead[x.key] = Math.floor(end / 1000);
              deadLettered++;
              await ctx.deadLetter({
                reason: 'invalid_record',
                detail: `${spec.stream} record without a usable ${x.missing}`,
                kind: 'record',
                payload: x.raw,
                context: { url, window: { lo: iso(lo), hi: iso(hi) } },
              });
            }
            state = { ...state, dead };
          }
          if (narrowing && oldest <= newest) {
            // Everything past this page's last second (in the direction of travel) is read.
            if (spec.order === 'desc') remHi = Math.max(remLo, Math.min(remHi, floorSec(oldest)));
            else remLo = Math.min(remHi, Math.max(remLo, floorSec(newest)));
          }
          // A new object, never mutated after: the checkpoint of this batch shares it without a copy.
          state = {
            ...state,
            seen: narrowing ? keepIds(state.seen, fresh, Math.floor(remLo / 1000), Math.floor(remHi / 1000), keepSec) : fresh.size ? { ...state.seen, ...Object.fromEntries(fresh) } : state.seen,
            current: { lo: remLo, hi: remHi, end, ...(readAt !== undefined ? { readAt } : {}) },
          };
          progress.page(records.length, end);
          if (records.length) ctx.metrics.sourceRecords.inc({ source: ctx.id, stream: spec.stream }, records.length);
          // Invalid records change the checkpoint too (`dead`), so a page of only those is committed as well.
          if (records.length || deadLettered) await ctx.emit({ records, checkpoint: snapshot(state), checkpointTime: state.done });

          if (loop) throw loop;
          if (shrink) {
            // Too dense to keep whole: read a quarter of it instead. Ids emitted so far stay in `seen`.
            const smaller = Math.max(1000, floorSec((hi - lo) / 4));
            state = { ...state, windowMs: Math.max(1000, floorSec(state.windowMs / 4)), current: { lo, hi: lo + smaller, end: lo + smaller, ...(readAt !== undefined ? { readAt } : {}) } };
            shrunk = true;
            break series;
          }
          url = next;
        }
      }
    } catch (err) {
      if (err instanceof ZendeskRequestError && err.status === 400 && spec.onBadRequest?.(err)) {
        retryWindow = true;
      } else if (err instanceof ZendeskRequestError) {
        throw new Error(`${err.message} (the window ${iso(lo)}..${iso(hi)} was not committed)`, { cause: err });
      } else if (err instanceof CursorLoopError) {
        // Nothing is lost: what was read is emitted and remembered in `seen`; the window stays open.
        ctx.logger.error({ url: err.url, pages: err.pages, window: { lo: iso(lo), hi: iso(hi) } }, 'Zendesk returned a cursor already followed in this window; the window will be read again at the next poll');
        if (ctx.once) throw new Error(`${err.message}; the window ${iso(lo)}..${iso(hi)} was not committed`);
        await ctx.sleep(o.pollIntervalMs, ctx.signal).catch(() => undefined);
        continue;
      } else if (err instanceof MalformedPageError) {
        malformedStreak++;
        await ctx.deadLetter({ reason: 'malformed_page', detail: err.message, kind: 'page', payload: err.body.slice(0, 100_000), context: { url: err.url, window: { lo: iso(lo), hi: iso(hi) } } });
        // Skipping the page would silently lose its records: keep the window and try again;
        // after three polls in a row it is a failure someone has to look at.
        if (ctx.once || malformedStreak >= 3) throw new Error(`${err.message} (dead-lettered; the window ${iso(lo)}..${iso(hi)} was not committed)`);
        ctx.logger.error({ url: err.url, attempt: malformedStreak }, 'malformed page dead-lettered; the window will be read again');
        await ctx.sleep(o.pollIntervalMs, ctx.signal).catch(() => undefined);
        continue;
      } else {
        throw err;
      }
    } finally {
      // A page requested ahead that will not be read (error, shrink): its outcome no longer matters.
      prefetched?.catch(() => undefined);
    }
    if (retryWindow) continue;
    malformedStreak = 0;
    if (shrunk) continue;

    // The window is complete: commit its end and forget ids the next window cannot meet again.
    const prune = (m: Record<string, number>) => keepIds(m, undefined, Infinity, -Infinity, keepSec);
    let windowMs = state.windowMs;
    if (narrowing) {
      // Read in order, a window costs its pages plus one partial page, however long it is.
      windowMs = o.maxWindowMs;
    } else {
      const span = end - Math.max(lo, state.done);
      if (pages > spec.maxPagesPerWindow / 2 && windowMs > 1000) windowMs = Math.max(1000, floorSec(windowMs / 2));
      else if (pages <= Math.max(1, spec.maxPagesPerWindow / 8) && span >= windowMs) windowMs = Math.min(o.maxWindowMs, windowMs * 2);
    }
    state = { done: end, windowMs, seen: prune(state.seen), dead: prune(state.dead!), ...(recheckAfter !== undefined ? { recheckFrom: recheckAfter } : {}) };
    progress.window(end);
    await ctx.emit({ records: [], checkpoint: snapshot(state), checkpointTime: end });
  }
}

/** The checkpoint of a batch. `seen` and `dead` are replaced, never mutated, so they are shared, not copied. */
function snapshot(s: WindowState): WindowState {
  return {
    done: s.done,
    windowMs: s.windowMs,
    seen: s.seen,
    dead: s.dead ?? {},
    ...(s.recheckFrom !== undefined ? { recheckFrom: s.recheckFrom } : {}),
    ...(s.current ? { current: { ...s.current } } : {}),
  };
}

/** Backfill progress: a log line at most every `everyMs` (JSON logs; a TTY bar is the CLI's job). */
export class Progress {
  private records = 0;
  private pages = 0;
  private lastLog = 0;
  private startedAt: number;
  constructor(
    private ctx: Pick<SourceContext, 'logger' | 'now' | 'id'>,
    private everyMs = 30_000,
  ) {
    this.startedAt = ctx.now();
  }
  page(records: number, reached: number): void {
    this.records += records;
    this.pages++;
    this.maybeLog(reached);
  }
  window(reached: number): void {
    this.maybeLog(reached);
  }
  caughtUp(reached: number): void {
    this.maybeLog(reached, true);
  }
  private maybeLog(reached: number, caughtUp = false): void {
    const now = this.ctx.now();
    if (now - this.lastLog < this.everyMs) return;
    this.lastLog = now;
    const minutes = Math.max(1 / 60, (now - this.startedAt) / 60_000);
    this.ctx.logger.info(
      { records: this.records, pages: this.pages, requestsPerMinute: Math.round(this.pages / minutes), reached: new Date(reached).toISOString(), behindSeconds: Math.round((now - reached) / 1000), caughtUp },
      caughtUp ? 'caught up; polling' : 'backfill progress',
    );
  }
}

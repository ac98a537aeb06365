// The closed-window poller behind the audit-log and access-log sources.
//
// Zendesk timestamps have second precision, the audit log is newest-first by default and
// promises no order, and records can show up late. So instead of trusting a cursor across
// runs, each poll reads a *closed* time window to its end and dedupes by id:
//
//   window = [done - lookback, min(now - settle, done + windowSize)]
//
// `done` is the committed high-water mark: every record visible up to it was emitted. The
// lookback re-reads a margin before it (late arrivals, and inclusive/exclusive bound
// ambiguity at second precision); ids seen inside that margin are kept in the checkpoint,
// so nothing is emitted twice. Invalid records are remembered the same way (`dead`), so one
// re-read in the lookback is dead-lettered once. Every page is its own batch; its checkpoint
// carries the window being read and the ids emitted so far, so a restart re-reads the same
// window and skips what it already emitted. Windows adapt: a window that needs too many pages
// is restarted at a quarter of its size (safe: its emitted ids stay in `seen`), a quiet one
// doubles, so a backfill of millions of records is many bounded windows.
//
// Paging inside a window never leaves it: a links.next that lost the window's filters is
// replaced by the window's own first URL plus the cursor, a page lying wholly beyond the
// window in the direction of travel ends it, and a cursor seen before in the same window is a
// loop. A loop or a page that stays malformed leaves the window uncommitted: it is read again
// at the next poll (with --once the run fails loudly); nothing is skipped.

import { createHash } from 'node:crypto';
import type { SourceContext, SourceRecord } from '../../core/types.js';
import { MalformedPageError, ZendeskRequestError, type ZendeskClient } from './client.js';

export interface WindowState {
  /** Committed high-water mark, epoch ms (second precision). */
  done: number;
  /** Current adaptive window size, ms. */
  windowMs: number;
  /** Ids emitted whose time is within the lookback of `done` or inside the current window: id -> epoch seconds. */
  seen: Record<string, number>;
  /** Invalid records already dead-lettered (id, or a hash of the record) -> epoch seconds of the window end that met them. */
  dead?: Record<string, number>;
  /** The window being read when this checkpoint was taken. */
  current?: { lo: number; hi: number };
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

export async function runWindowedPoller(ctx: SourceContext, client: ZendeskClient, spec: WindowSpec, o: WindowOptions, progress: Progress): Promise<void> {
  let state: WindowState;
  if (ctx.checkpoint === undefined) state = { done: floorSec(o.startTime), windowMs: o.initialWindowMs, seen: {}, dead: {} };
  else if (isWindowState(ctx.checkpoint)) state = { ...ctx.checkpoint, dead: ctx.checkpoint.dead ?? {} };
  else throw new Error(`checkpoint of ${ctx.id} has an unexpected shape; run \`zsf checkpoints reset ${ctx.id}\` to start again from startTime`);

  // --once catches up to the moment it started; follow mode keeps moving the target.
  const onceTarget = floorSec(ctx.now() - o.settleMs);
  let malformedStreak = 0;
  let warnedFilters = false;
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
    const lo = state.current?.lo ?? Math.max(0, state.done - o.lookbackMs);
    const hi = state.current?.hi ?? Math.min(target, state.done + state.windowMs);
    state = { ...state, current: { lo, hi } };
    const dead = (state.dead ??= {});

    let pages = 0;
    let shrunk = false;
    let retryWindow = false;
    try {
      series: for (const first of spec.requests(lo, hi)) {
        let url: string | null = first;
        // Every URL requested in this series of this window: a repeat is a cursor loop.
        const requested = new Set<string>([client.resolve(first)]);
        while (url) {
          const { body } = await client.getJson(url, getOpts);
          pages++;
          const items = body[spec.listKey];
          if (!Array.isArray(items)) throw new MalformedPageError(url, JSON.stringify(body).slice(0, 10_000), `no "${spec.listKey}" array`);
          const records: SourceRecord[] = [];
          let deadLettered = 0;
          let before = 0;
          let beyond = 0;
          // Whether the page really is in the order asked for (a page in the other order proves nothing about what follows).
          let inOrder = true;
          let prevTime: number | undefined;
          for (const raw of items as unknown[]) {
            const rec = raw as Record<string, unknown>;
            const id = rec && typeof rec === 'object' ? rec.id : undefined;
            const time = rec && typeof rec === 'object' ? spec.timeOf(rec) : undefined;
            if ((typeof id !== 'number' && typeof id !== 'string') || id === '' || time === undefined) {
              const key = deadKey(raw, id);
              if (key in dead) continue;
              dead[key] = Math.floor(hi / 1000);
              deadLettered++;
              await ctx.deadLetter({
                reason: 'invalid_record',
                detail: `${spec.stream} record without a usable ${time === undefined ? 'time' : 'id'}`,
                kind: 'record',
                payload: raw,
                context: { url, window: { lo: iso(lo), hi: iso(hi) } },
              });
              continue;
            }
            if (prevTime !== undefined && (spec.order === 'desc' ? time > prevTime : time < prevTime)) inOrder = false;
            prevTime = time;
            // Client-side window check: correct even if the server ignored the time filter.
            if (time < lo || time > hi) {
              if (time < lo) before++;
              else beyond++;
              continue;
            }
            const key = String(id);
            if (key in state.seen) continue;
            state.seen[key] = Math.floor(time / 1000);
            records.push({ account: o.account, stream: spec.stream, id: key, time, raw: rec });
          }
          progress.page(records.length, hi);
          if (records.length) ctx.metrics.sourceRecords.inc({ source: ctx.id, stream: spec.stream }, records.length);
          // Invalid records change the checkpoint too (`dead`), so a page of only those is committed as well.
          if (records.length || deadLettered) await ctx.emit({ records, checkpoint: snapshot(state), checkpointTime: state.done });

          const meta = body.meta as { has_more?: unknown; after_cursor?: unknown } | undefined;
          if (meta?.has_more !== true || items.length === 0) break;
          // A whole page, in the order asked for, past the window in the direction of travel: the
          // rest is further away still (a backstop for a server that ignores the window's filters).
          const outsideAhead = spec.order === 'desc' ? before : beyond;
          if (inOrder && outsideAhead > 0 && outsideAhead === items.length) break;
          const links = body.links as { next?: unknown } | undefined;
          let next = typeof links?.next === 'string' ? links.next : null;
          const cursor = cursorOf(meta, next);
          if (cursor !== undefined && (next === null || filterSignature(next) !== filterSignature(first))) {
            // links.next lost the window's filters (or is missing): following it would page into
            // the whole history. Ask again with our own filters and Zendesk's cursor.
            if (!warnedFilters && next !== null) ctx.logger.warn({ next: client.resolve(next) }, "links.next does not carry the window's filters; re-sending them with the cursor");
            warnedFilters = true;
            next = withCursor(first, cursor);
          }
          if (next === null) break;
          const key = client.resolve(next);
          if (requested.has(key)) throw new CursorLoopError(key, pages);
          requested.add(key);
          url = next;
          if (pages >= spec.maxPagesPerWindow && hi - lo > 1000) {
            // Too dense: read a quarter of it instead. Ids emitted so far stay in `seen`.
            const smaller = Math.max(1000, floorSec((hi - lo) / 4));
            state = { ...state, windowMs: Math.max(1000, floorSec(state.windowMs / 4)), current: { lo, hi: lo + smaller } };
            shrunk = true;
            break series;
          }
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
    }
    if (retryWindow) continue;
    malformedStreak = 0;
    if (shrunk) continue;

    // The window is complete: commit its end and forget ids that fell out of the lookback.
    const done = hi;
    const keepFrom = Math.floor((done - o.lookbackMs) / 1000);
    const prune = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([, t]) => t >= keepFrom));
    const span = hi - Math.max(lo, state.done);
    let windowMs = state.windowMs;
    if (pages > spec.maxPagesPerWindow / 2 && windowMs > 1000) windowMs = Math.max(1000, floorSec(windowMs / 2));
    else if (pages <= Math.max(1, spec.maxPagesPerWindow / 8) && span >= windowMs) windowMs = Math.min(o.maxWindowMs, windowMs * 2);
    state = { done, windowMs, seen: prune(state.seen), dead: prune(dead) };
    progress.window(done);
    await ctx.emit({ records: [], checkpoint: snapshot(state), checkpointTime: done });
  }
}

function snapshot(s: WindowState): WindowState {
  return { done: s.done, windowMs: s.windowMs, seen: { ...s.seen }, dead: { ...s.dead }, ...(s.current ? { current: { ...s.current } } : {}) };
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

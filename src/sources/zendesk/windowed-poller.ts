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
// so nothing is emitted twice. Every page is its own batch; its checkpoint carries the
// window being read and the ids emitted so far, so a restart re-reads the same window and
// skips what it already emitted. Windows adapt: a window that needs too many pages is
// restarted at a quarter of its size (safe: its emitted ids stay in `seen`), a quiet one
// doubles, so a backfill of millions of records is many bounded windows.

import type { SourceContext, SourceRecord } from '../../core/types.js';
import { MalformedPageError, type ZendeskClient } from './client.js';

export interface WindowState {
  /** Committed high-water mark, epoch ms (second precision). */
  done: number;
  /** Current adaptive window size, ms. */
  windowMs: number;
  /** Ids emitted whose time is within the lookback of `done` or inside the current window: id -> epoch seconds. */
  seen: Record<string, number>;
  /** The window being read when this checkpoint was taken. */
  current?: { lo: number; hi: number };
}

export interface WindowSpec {
  stream: 'audit_log' | 'access_log';
  listKey: string;
  /** Builds the first URL (path + query) of a window [lo, hi] (epoch ms, whole seconds). */
  firstUrl(lo: number, hi: number): string;
  /** Upstream time of a record, epoch ms, or undefined when missing/invalid. */
  timeOf(raw: Record<string, unknown>): number | undefined;
  endpoint?: string;
  endpointLimit?: number;
  /** A window needing more pages than this is restarted smaller. */
  maxPagesPerWindow: number;
  /** Called when a page held records outside the requested window (the server ignored a filter). */
  onOutOfWindow?(count: number): void;
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

const floorSec = (ms: number) => Math.floor(ms / 1000) * 1000;

export function isWindowState(x: unknown): x is WindowState {
  const s = x as WindowState;
  return !!s && typeof s === 'object' && typeof s.done === 'number' && typeof s.windowMs === 'number' && !!s.seen && typeof s.seen === 'object';
}

export async function runWindowedPoller(ctx: SourceContext, client: ZendeskClient, spec: WindowSpec, o: WindowOptions, progress: Progress): Promise<void> {
  let state: WindowState;
  if (ctx.checkpoint === undefined) state = { done: floorSec(o.startTime), windowMs: o.initialWindowMs, seen: {} };
  else if (isWindowState(ctx.checkpoint)) state = ctx.checkpoint;
  else throw new Error(`checkpoint of ${ctx.id} has an unexpected shape; run \`zsf checkpoints reset ${ctx.id}\` to start again from startTime`);

  // --once catches up to the moment it started; follow mode keeps moving the target.
  const onceTarget = floorSec(ctx.now() - o.settleMs);
  let malformedStreak = 0;
  const maxAttempts = ctx.once ? 8 : undefined;

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

    let url: string | null = spec.firstUrl(lo, hi);
    let pages = 0;
    let shrunk = false;
    try {
      while (url) {
        const { body } = await client.getJson(url, { ctx, signal: ctx.signal, timeoutMs: o.requestTimeoutMs, ...(spec.endpoint ? { endpoint: spec.endpoint } : {}), ...(spec.endpointLimit ? { endpointLimit: spec.endpointLimit } : {}), ...(maxAttempts ? { maxAttempts } : {}) });
        pages++;
        const items = body[spec.listKey];
        if (!Array.isArray(items)) throw new MalformedPageError(url, JSON.stringify(body).slice(0, 10_000), `no "${spec.listKey}" array`);
        const records: SourceRecord[] = [];
        let outside = 0;
        for (const raw of items as unknown[]) {
          const rec = raw as Record<string, unknown>;
          const id = rec && typeof rec === 'object' ? rec.id : undefined;
          const time = rec && typeof rec === 'object' ? spec.timeOf(rec) : undefined;
          if ((typeof id !== 'number' && typeof id !== 'string') || id === '' || time === undefined) {
            await ctx.deadLetter({
              reason: 'invalid_record',
              detail: `${spec.stream} record without a usable id or time`,
              kind: 'record',
              payload: raw,
              context: { url },
            });
            continue;
          }
          // Client-side window check: correct even if the server ignored the time filter.
          if (time < lo || time > hi) {
            outside++;
            continue;
          }
          const key = String(id);
          if (key in state.seen) continue;
          state.seen[key] = Math.floor(time / 1000);
          records.push({ account: o.account, stream: spec.stream, id: key, time, raw: rec });
        }
        if (outside) spec.onOutOfWindow?.(outside);
        progress.page(records.length, hi);
        if (records.length) {
          ctx.metrics.sourceRecords.inc({ source: ctx.id, stream: spec.stream }, records.length);
          await ctx.emit({ records, checkpoint: snapshot(state), checkpointTime: state.done });
        }
        const meta = body.meta as { has_more?: unknown; after_cursor?: unknown } | undefined;
        const links = body.links as { next?: unknown } | undefined;
        const next = meta?.has_more === true && items.length > 0 ? (typeof links?.next === 'string' ? links.next : null) : null;
        url = next && client.resolve(next) !== client.resolve(url) ? next : null;
        if (url && pages >= spec.maxPagesPerWindow && hi - lo > 1000) {
          // Too dense: read a quarter of it instead. Ids emitted so far stay in `seen`.
          const smaller = Math.max(1000, floorSec((hi - lo) / 4));
          state = { ...state, windowMs: Math.max(1000, floorSec(state.windowMs / 4)), current: { lo, hi: lo + smaller } };
          shrunk = true;
          break;
        }
      }
    } catch (err) {
      if (!(err instanceof MalformedPageError)) throw err;
      malformedStreak++;
      await ctx.deadLetter({ reason: 'malformed_page', detail: err.message, kind: 'page', payload: err.body.slice(0, 100_000), context: { url: err.url, window: { lo: new Date(lo).toISOString(), hi: new Date(hi).toISOString() } } });
      // Skipping the page would silently lose its records: keep the window and try again;
      // after three polls in a row it is a failure someone has to look at.
      if (ctx.once || malformedStreak >= 3) throw new Error(`${err.message} (dead-lettered; the window ${new Date(lo).toISOString()}..${new Date(hi).toISOString()} was not committed)`);
      ctx.logger.error({ url: err.url, attempt: malformedStreak }, 'malformed page dead-lettered; the window will be read again');
      await ctx.sleep(o.pollIntervalMs, ctx.signal).catch(() => undefined);
      continue;
    }
    malformedStreak = 0;
    if (shrunk) continue;

    // The window is complete: commit its end and forget ids that fell out of the lookback.
    const done = hi;
    const keepFrom = Math.floor((done - o.lookbackMs) / 1000);
    const seen: Record<string, number> = {};
    for (const [id, t] of Object.entries(state.seen)) if (t >= keepFrom) seen[id] = t;
    const span = hi - Math.max(lo, state.done);
    let windowMs = state.windowMs;
    if (pages > spec.maxPagesPerWindow / 2 && windowMs > 1000) windowMs = Math.max(1000, floorSec(windowMs / 2));
    else if (pages <= Math.max(1, spec.maxPagesPerWindow / 8) && span >= windowMs) windowMs = Math.min(o.maxWindowMs, windowMs * 2);
    state = { done, windowMs, seen };
    progress.window(done);
    await ctx.emit({ records: [], checkpoint: snapshot(state), checkpointTime: done });
  }
}

function snapshot(s: WindowState): WindowState {
  return { done: s.done, windowMs: s.windowMs, seen: { ...s.seen }, ...(s.current ? { current: { ...s.current } } : {}) };
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

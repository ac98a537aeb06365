// `zendesk_ticket_audits`: every ticket update with its child events, from the incremental
// ticket event export (GET /api/v2/incremental/ticket_events?start_time=…, admin, 10
// requests/minute). Unknown event types pass through untouched. Comment bodies are
// sensitive, so `include=comment_events` is opt-in.
//
// The main walk: each page's `end_time` is the next `start_time` (the frontier), so the
// boundary second is read twice. Every emitted event id is remembered with its second in
// `seen` (pruned once it is older than frontier − lookback), and skipped when read again.
//
// Late events: Zendesk can add an event to the export a few minutes after its time, i.e. at
// a start_time the walk has already passed. So at the live tail only (never per backfill
// page), each poll spends one extra request re-reading the export from frontier − lookback;
// what it finds that `seen` does not know is emitted. If the lookback holds more than one
// page, the re-read goes on from where it stopped at the next poll (`recheck`), and starts
// again from frontier − lookback once it has reached the frontier.
// The re-read covers only seconds where a late event can still turn up: an event missing from
// a page requested at R appears after R, so it is dated after R − lookback (− minAge, for the
// clocks). `lateFrom` keeps the earliest such second among those read (the frontier when
// there is none), so a backfill whose last events are older than that, e.g. a `--once` run
// over history, spends no request on a re-read; a checkpoint without it re-reads the whole
// lookback, as before.
//
// A page without a numeric `end_time`: its events are emitted (they are recorded in `seen`,
// and `seen` keeps everything at or after the unchanged start_time, so the same page read
// again is deduplicated), the start_time stays, and the page is asked for again at the next
// poll. Nothing is committed past what Zendesk vouched for, and nothing is withheld.
//
// A malformed page (unparseable, or no `ticket_events` array) is dead-lettered and the same
// start_time is asked for again at the next poll; three polls in a row (or one with --once)
// fail the source, like the windowed sources.

import { z } from 'zod';
import { defineSource } from '../../core/plugin.js';
import { pageText, type SourceContext, type SourceRecord } from '../../core/types.js';
import { duration } from '../../config/units.js';
import { MalformedPageError, ZendeskRequestError } from './client.js';
import { zendeskSection } from './account-config.js';
import { accountClient, commonZendeskOptions, parseTime, startTimeMs } from './common.js';
import { Progress } from './windowed-poller.js';

export interface TicketEventsState {
  /** Next start_time of the main walk (the frontier), epoch seconds. */
  startTime: number;
  /** Emitted event ids -> their second; kept while within the lookback of startTime (and at or after it). */
  seen: Record<string, number>;
  /** Where the lookback re-read goes on at the next poll, epoch seconds; absent: from startTime − lookback. */
  recheck?: number;
  /**
   * Epoch seconds: the earliest second read where Zendesk may still add an event late; the
   * re-read starts no earlier (startTime: none). Absent (older checkpoints): the whole lookback.
   */
  lateFrom?: number;
}

/** The checkpoint written before the lookback existed: `boundary` ids at startTime. */
interface LegacyState {
  startTime: number;
  boundary: string[];
}

export function readTicketEventsState(x: unknown): TicketEventsState | undefined {
  const s = x as Partial<TicketEventsState & LegacyState> | null;
  if (!s || typeof s !== 'object' || typeof s.startTime !== 'number') return undefined;
  if (s.seen && typeof s.seen === 'object' && !Array.isArray(s.seen)) {
    return { startTime: s.startTime, seen: { ...s.seen }, ...(typeof s.recheck === 'number' ? { recheck: s.recheck } : {}), ...(typeof s.lateFrom === 'number' ? { lateFrom: s.lateFrom } : {}) };
  }
  if (Array.isArray(s.boundary)) return { startTime: s.startTime, seen: Object.fromEntries(s.boundary.map((id) => [String(id), s.startTime as number])) };
  return undefined;
}

/** Drops ids older than the lookback before the frontier (never ids at or after it). */
export function pruneSeen(seen: Record<string, number>, startTime: number, lookbackSec: number): Record<string, number> {
  const keepFrom = startTime - lookbackSec;
  const out: Record<string, number> = {};
  for (const [id, sec] of Object.entries(seen)) if (sec >= keepFrom) out[id] = sec;
  return out;
}

interface PageResult {
  records: SourceRecord[];
  events: unknown[];
  endTime: number | undefined;
  endOfStream: boolean;
}

const MALFORMED_POLLS = 3;

/** The earliest second where an event missing from a page requested at `readAtMs` can still be dated. */
export function lateSecondAfter(readAtMs: number, lookbackSec: number, minAgeMs: number): number {
  return Math.floor((readAtMs - minAgeMs) / 1000) - lookbackSec;
}

/**
 * `lateFrom` after the main walk read [from, to] with a page requested at `readAtMs`: kept when
 * an earlier page already left a late second below `from` (or when unknown), else this page's
 * first late second, or `to` when it has none.
 */
export function lateFromAfterPage(lateFrom: number | undefined, from: number, to: number, readAtMs: number, lookbackSec: number, minAgeMs: number): number | undefined {
  if (lateFrom === undefined || lateFrom < from) return lateFrom;
  return Math.min(to, Math.max(from, lateSecondAfter(readAtMs, lookbackSec, minAgeMs)));
}

export const ticketEventsSource = defineSource({
  type: 'zendesk_ticket_audits',
  description: 'Zendesk ticket audits via the incremental ticket event export (admin credentials)',
  sections: [zendeskSection],
  options: {
    ...commonZendeskOptions,
    includeCommentEvents: z.boolean().default(false).describe('Add include=comment_events (comment bodies are sensitive: consider a redact transform)'),
    minAge: duration({ min: 60_000 }).default(70_000).describe('Zendesk rejects a start_time less than a minute old; never ask closer to now than this'),
    requestsPerMinute: z.number().int().min(1).max(100).default(10).describe('Endpoint limit of incremental exports (30 with the High Volume add-on)'),
    lookback: duration({ min: 0 })
      .default(300_000)
      .describe('At the live tail, re-read this much before the frontier once per poll (one extra request) for events Zendesk adds late; ids are deduplicated. 0 turns it off'),
  },
  create(config, env) {
    const client = accountClient(config.account, env);
    const lookbackSec = Math.floor(config.lookback / 1000);
    return {
      async run(ctx) {
        let state: TicketEventsState;
        if (ctx.checkpoint === undefined) {
          // Nothing read yet: no second where a late event could be missed.
          const startTime = Math.floor(startTimeMs(config.startTime, ctx.now()) / 1000);
          state = { startTime, seen: {}, lateFrom: startTime };
        } else {
          const read = readTicketEventsState(ctx.checkpoint);
          if (!read) throw new Error(`checkpoint of ${ctx.id} has an unexpected shape; run \`zsf checkpoints reset ${ctx.id}\``);
          state = read;
        }
        const progress = new Progress(ctx);
        const maxAttempts = ctx.once ? 8 : undefined;
        const wait = () => ctx.sleep(config.pollInterval, ctx.signal).catch(() => undefined);
        let malformedStreak = 0;
        let warnedNoEndTime = false;

        const checkpoint = (): TicketEventsState => {
          const seen = pruneSeen(state.seen, state.startTime, lookbackSec);
          state = { ...state, seen };
          return { startTime: state.startTime, seen: { ...seen }, ...(state.recheck !== undefined ? { recheck: state.recheck } : {}), ...(state.lateFrom !== undefined ? { lateFrom: state.lateFrom } : {}) };
        };

        /** One export page from `startTime`; records are the events `seen` does not know yet (now recorded in it). */
        const fetchPage = async (startTime: number): Promise<PageResult> => {
          const q = new URLSearchParams({ start_time: String(startTime) });
          if (config.includeCommentEvents) q.set('include', 'comment_events');
          const url = `/api/v2/incremental/ticket_events?${q.toString()}`;
          const { body, text } = await client.getJson(url, { ctx, signal: ctx.signal, timeoutMs: config.requestTimeout, endpoint: 'incremental', endpointLimit: config.requestsPerMinute, ...(maxAttempts ? { maxAttempts } : {}) });
          const events = body.ticket_events;
          const page = ctx.keepPages ? pageText('ticket_events', text) : undefined;
          if (!Array.isArray(events)) throw new MalformedPageError(client.resolve(url), JSON.stringify(body).slice(0, 100_000), 'no "ticket_events" array');
          const records: SourceRecord[] = [];
          for (let index = 0; index < (events as unknown[]).length; index++) {
            const raw = (events as unknown[])[index];
            const ev = raw as Record<string, unknown>;
            const id = ev && typeof ev === 'object' ? ev.id : undefined;
            const secs = typeof ev?.timestamp === 'number' ? ev.timestamp : undefined;
            const time = secs !== undefined ? secs * 1000 : parseTime(ev?.created_at);
            if ((typeof id !== 'number' && typeof id !== 'string') || time === undefined) {
              await ctx.deadLetter({ reason: 'invalid_record', detail: 'ticket event without a usable id or timestamp', kind: 'record', payload: raw, context: { url } });
              continue;
            }
            const key = String(id);
            if (key in state.seen) continue;
            state.seen[key] = Math.floor(time / 1000);
            const record: SourceRecord = { account: config.account, stream: 'ticket_audit', id: key, time, raw: ev };
            if (page) record.page = { page, index };
            records.push(record);
          }
          const endTime = typeof body.end_time === 'number' && Number.isFinite(body.end_time) ? body.end_time : undefined;
          return { records, events, endTime, endOfStream: body.end_of_stream === true };
        };

        const emit = async (records: SourceRecord[]) => {
          ctx.metrics.sourceRecords.inc({ source: ctx.id, stream: 'ticket_audit' }, records.length);
          await ctx.emit({ records, checkpoint: checkpoint(), checkpointTime: state.startTime * 1000 });
        };

        const noEndTime = (startTime: number) => {
          const fields = { startTime, hint: 'events of the page were emitted and are deduplicated; the same start_time is asked for again at the next poll' };
          if (!warnedNoEndTime) ctx.logger.warn(fields, 'incremental export page without end_time; keeping start_time');
          else ctx.logger.debug(fields, 'incremental export page without end_time; keeping start_time');
          warnedNoEndTime = true;
        };

        /** The lookback re-read: one request, at the live tail only. */
        const recheck = async () => {
          if (lookbackSec <= 0) return;
          const start = Math.max(state.startTime - lookbackSec, state.lateFrom ?? 0, 0);
          const from = Math.max(state.recheck ?? 0, start);
          if (from >= state.startTime) {
            state = { ...state, recheck: undefined };
            return;
          }
          const readAt = ctx.now();
          const page = await fetchPage(from);
          let next: number | undefined;
          if (page.endTime === undefined) noEndTime(from);
          else if (!page.endOfStream && page.endTime < state.startTime) {
            const wholeSecond = page.events.length > 0 && (page.events as { timestamp?: unknown }[]).every((e) => e.timestamp === page.endTime);
            next = page.endTime > from ? page.endTime : wholeSecond ? page.endTime + 1 : undefined;
          }
          // One page read [start, frontier] at readAt: a late event there is dated after readAt − lookback.
          const whole = from === start && page.endTime !== undefined && (page.endOfStream || page.endTime >= state.startTime);
          const lateFrom = whole ? Math.max(state.lateFrom ?? start, Math.min(state.startTime, lateSecondAfter(readAt, lookbackSec, config.minAge))) : state.lateFrom;
          state = { ...state, recheck: next, ...(lateFrom !== undefined ? { lateFrom } : {}) };
          if (page.records.length > 0) ctx.logger.info({ count: page.records.length, from }, 'lookback re-read found ticket events added late');
          await emit(page.records);
        };

        /** At the live tail: the lookback re-read, then (follow mode) the wait. Returns false when the run is over. */
        const atTail = async (): Promise<boolean> => {
          await recheck();
          malformedStreak = 0; // a whole poll without a malformed page
          if (ctx.once) return false;
          await wait();
          return true;
        };

        while (!ctx.signal.aborted) {
          try {
            const newest = Math.floor((ctx.now() - config.minAge) / 1000);
            if (state.startTime > newest) {
              progress.caughtUp(state.startTime * 1000);
              if (!(await atTail())) return;
              continue;
            }
            let page: PageResult;
            const readAt = ctx.now();
            try {
              page = await fetchPage(state.startTime);
            } catch (err) {
              if (err instanceof ZendeskRequestError && (err.status === 400 || err.status === 422) && state.startTime * 1000 > ctx.now() - 600_000) {
                // A recent start_time can be refused as "too recent"; that heals by waiting.
                ctx.logger.warn({ startTime: state.startTime, error: err.message }, 'start_time refused as too recent; waiting');
                if (!(await atTail())) return;
                continue;
              }
              throw err;
            }
            if (page.endTime === undefined) {
              noEndTime(state.startTime);
              progress.page(page.records.length, state.startTime * 1000);
              await emit(page.records);
              if (!(await atTail())) return;
              continue;
            }
            const endTime = page.endTime;
            let progressed = endTime > state.startTime || page.records.length > 0;
            let startTime = Math.max(endTime, state.startTime);
            const wholeSecond = page.events.length > 0 && (page.events as { timestamp?: unknown }[]).every((e) => e.timestamp === endTime);
            if (!progressed && wholeSecond && !page.endOfStream) {
              // More events share this second than a page holds, so Zendesk returns the whole
              // second every time with end_time == start_time. Pages never split a second, and
              // every event of it is now emitted: move on to the next second.
              startTime = endTime + 1;
              progressed = true;
            }
            const lateFrom = lateFromAfterPage(state.lateFrom, state.startTime, startTime, readAt, lookbackSec, config.minAge);
            state = { ...state, startTime, ...(lateFrom !== undefined ? { lateFrom } : {}) };
            progress.page(page.records.length, state.startTime * 1000);
            await emit(page.records);
            // The end of the export: everything up to now is read (lag counts from here once delivered).
            if (page.endOfStream) ctx.reached(Math.max(state.startTime, newest) * 1000);
            if (!page.endOfStream && progressed) malformedStreak = 0;
            else {
              // Idle polls are normal at the tail: not worth a warning each time.
              if (!progressed) ctx.logger.debug({ startTime: state.startTime }, 'incremental export returned no progress; waiting before asking again');
              if (!(await atTail())) return;
            }
          } catch (err) {
            if (!(err instanceof MalformedPageError)) throw err;
            if (!(await malformed(ctx, err, state.startTime, ++malformedStreak))) return;
            await wait();
          }
        }
      },
    };
  },
});

/**
 * Dead-letters a malformed page; the start_time is not advanced. Throws when it is time to
 * give up (with --once, or after three polls in a row); otherwise the caller polls again.
 */
async function malformed(ctx: SourceContext, err: MalformedPageError, startTime: number, streak: number): Promise<boolean> {
  await ctx.deadLetter({ reason: 'malformed_page', detail: err.message, kind: 'page', payload: err.body.slice(0, 100_000), context: { url: err.url, startTime } });
  if (ctx.once || streak >= MALFORMED_POLLS) {
    throw new Error(`${err.message} (dead-lettered; start_time ${startTime} not advanced, so nothing is skipped)`);
  }
  ctx.logger.error({ url: err.url, attempt: streak, startTime }, 'malformed page dead-lettered; the same start_time will be read again at the next poll');
  return !ctx.signal.aborted;
}

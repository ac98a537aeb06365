// `zendesk_ticket_audits`: every ticket update with its child events, from the incremental
// ticket event export (GET /api/v2/incremental/ticket_events?start_time=…, admin, 10
// requests/minute). Time-based pagination: each page's `end_time` is the next `start_time`,
// so the boundary second is read twice; events already emitted at that second are
// remembered in the checkpoint and skipped. Unknown event types pass through untouched.
// Comment bodies are sensitive, so `include=comment_events` is opt-in.

import { z } from 'zod';
import { defineSource } from '../../core/plugin.js';
import type { SourceRecord } from '../../core/types.js';
import { duration } from '../../config/units.js';
import { MalformedPageError, ZendeskRequestError } from './client.js';
import { accountClient, commonZendeskOptions, parseTime, startTimeMs } from './common.js';
import { Progress } from './windowed-poller.js';

interface TicketEventsState {
  /** Next start_time, epoch seconds. */
  startTime: number;
  /** Event ids already emitted whose timestamp equals startTime. */
  boundary: string[];
}

function isState(x: unknown): x is TicketEventsState {
  const s = x as TicketEventsState;
  return !!s && typeof s.startTime === 'number' && Array.isArray(s.boundary);
}

export const ticketEventsSource = defineSource({
  type: 'zendesk_ticket_audits',
  description: 'Zendesk ticket audits via the incremental ticket event export (admin credentials)',
  options: {
    ...commonZendeskOptions,
    includeCommentEvents: z.boolean().default(false).describe('Add include=comment_events (comment bodies are sensitive: consider a redact transform)'),
    minAge: duration({ min: 60_000 }).default(70_000).describe('Zendesk rejects a start_time less than a minute old; never ask closer to now than this'),
    requestsPerMinute: z.number().int().min(1).max(100).default(10).describe('Endpoint limit of incremental exports (30 with the High Volume add-on)'),
  },
  create(config, env) {
    const client = accountClient(config.account, env);
    return {
      async run(ctx) {
        let state: TicketEventsState;
        if (ctx.checkpoint === undefined) state = { startTime: Math.floor(startTimeMs(config.startTime, ctx.now()) / 1000), boundary: [] };
        else if (isState(ctx.checkpoint)) state = ctx.checkpoint;
        else throw new Error(`checkpoint of ${ctx.id} has an unexpected shape; run \`zsf checkpoints reset ${ctx.id}\``);
        const progress = new Progress(ctx);
        const maxAttempts = ctx.once ? 8 : undefined;
        const wait = () => ctx.sleep(config.pollInterval, ctx.signal).catch(() => undefined);

        while (!ctx.signal.aborted) {
          const newest = Math.floor((ctx.now() - config.minAge) / 1000);
          if (state.startTime > newest) {
            if (ctx.once) return;
            progress.caughtUp(state.startTime * 1000);
            await wait();
            continue;
          }
          const q = new URLSearchParams({ start_time: String(state.startTime) });
          if (config.includeCommentEvents) q.set('include', 'comment_events');
          const url = `/api/v2/incremental/ticket_events?${q.toString()}`;
          let body: Record<string, unknown>;
          try {
            ({ body } = await client.getJson(url, { ctx, signal: ctx.signal, timeoutMs: config.requestTimeout, endpoint: 'incremental', endpointLimit: config.requestsPerMinute, ...(maxAttempts ? { maxAttempts } : {}) }));
          } catch (err) {
            if (err instanceof ZendeskRequestError && (err.status === 400 || err.status === 422) && state.startTime * 1000 > ctx.now() - 600_000) {
              // A recent start_time can be refused as "too recent"; that heals by waiting.
              ctx.logger.warn({ startTime: state.startTime, error: err.message }, 'start_time refused as too recent; waiting');
              if (ctx.once) return;
              await wait();
              continue;
            }
            if (err instanceof MalformedPageError) {
              await ctx.deadLetter({ reason: 'malformed_page', detail: err.message, kind: 'page', payload: err.body.slice(0, 100_000), context: { url: err.url } });
              throw new Error(`${err.message} (dead-lettered; start_time ${state.startTime} not advanced, so nothing is skipped)`);
            }
            throw err;
          }
          const events = body.ticket_events;
          const endTime = body.end_time;
          if (!Array.isArray(events) || typeof endTime !== 'number') {
            await ctx.deadLetter({ reason: 'malformed_page', detail: 'page without ticket_events[] or numeric end_time', kind: 'page', payload: JSON.stringify(body).slice(0, 100_000), context: { url } });
            throw new Error(`malformed incremental export page from ${url}: no ticket_events[] or end_time (dead-lettered; start_time not advanced)`);
          }
          const boundary = new Set(state.boundary);
          const records: SourceRecord[] = [];
          const atEnd: string[] = endTime === state.startTime ? [...state.boundary] : [];
          for (const raw of events as unknown[]) {
            const ev = raw as Record<string, unknown>;
            const id = ev && typeof ev === 'object' ? ev.id : undefined;
            const secs = typeof ev?.timestamp === 'number' ? ev.timestamp : undefined;
            const time = secs !== undefined ? secs * 1000 : parseTime(ev?.created_at);
            if ((typeof id !== 'number' && typeof id !== 'string') || time === undefined) {
              await ctx.deadLetter({ reason: 'invalid_record', detail: 'ticket event without a usable id or timestamp', kind: 'record', payload: raw, context: { url } });
              continue;
            }
            const key = String(id);
            if (Math.floor(time / 1000) === endTime) atEnd.push(key);
            if (Math.floor(time / 1000) === state.startTime && boundary.has(key)) continue;
            records.push({ account: config.account, stream: 'ticket_audit', id: key, time, raw: ev });
          }
          let progressed = endTime > state.startTime || records.length > 0;
          state = { startTime: Math.max(endTime, state.startTime), boundary: [...new Set(atEnd)] };
          const wholeSecond = events.length > 0 && (events as { timestamp?: unknown }[]).every((e) => e.timestamp === endTime);
          if (!progressed && wholeSecond && body.end_of_stream !== true) {
            // More events share this second than a page holds, so Zendesk returns the whole
            // second every time with end_time == start_time. Pages never split a second, and
            // every event of it is now emitted: move on to the next second.
            state = { startTime: endTime + 1, boundary: [] };
            progressed = true;
          }
          progress.page(records.length, state.startTime * 1000);
          ctx.metrics.sourceRecords.inc({ source: ctx.id, stream: 'ticket_audit' }, records.length);
          await ctx.emit({ records, checkpoint: { ...state, boundary: [...state.boundary] }, checkpointTime: state.startTime * 1000 });
          if (body.end_of_stream === true) ctx.reached(Math.max(state.startTime, newest) * 1000);
          if (body.end_of_stream === true || !progressed) {
            if (ctx.once) return;
            if (!progressed) ctx.logger.warn({ startTime: state.startTime }, 'incremental export returned no progress; waiting before asking again');
            await wait();
          }
        }
      },
    };
  },
});

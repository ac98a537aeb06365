// `zendesk_deleted_tickets`: ticket deletions, from GET /api/v2/deleted_tickets (agents; 10
// requests/minute; at most 100 per page). Deleting a ticket deletes its audits, so the
// deletion itself has to reach the SIEM.
//
// The list is a snapshot, not a log: it holds the soft-deleted tickets of the last 30 days;
// restoring a ticket takes it off the list, deleting it again lists it with a new deleted_at.
// Positions in it (offsets, cursors) therefore mean nothing across polls. What does hold:
// a deletion's `deleted_at` is set when it happens. So each poll walks the list newest first
// (sort_by=deleted_at, sort_order=desc, cursor pages) and stops at the first page that reaches
// back past `done − lookback`, where `done` is the newest deleted_at already emitted.
// Deletions are keyed by ticket id + deleted_at (a re-deletion is a new event) and keys within
// the lookback are kept in the checkpoint, so the re-read margin never emits twice.
//
// What one walk finds is emitted oldest first, after the walk, in batches of 100 whose
// checkpoints advance `done` to the batch's newest deletion: a crash part-way re-walks and
// skips what it already sent (keys in `seen`, or older than the new `done − lookback`).
// A restore needs no handling (a vanished entry is simply not read again); a deletion that
// becomes visible later than `lookback` after newer ones is missed, as with the other sources.
// If the server ignores the sort (a page not newest first), the walk reads the whole list.

import { z } from 'zod';
import { defineSource } from '../../core/plugin.js';
import type { SourceContext, SourceRecord } from '../../core/types.js';
import { duration } from '../../config/units.js';
import { MalformedPageError } from './client.js';
import { zendeskSection } from './account-config.js';
import { accountClient, commonZendeskOptions, isoSeconds, parseTime, startTimeMs } from './common.js';
import { Progress } from './windowed-poller.js';

export interface DeletedTicketsState {
  /** Newest deleted_at emitted (or the start time before any), epoch ms. */
  done: number;
  /** Keys `<ticket id>:<deleted_at>` emitted -> deleted_at in epoch seconds; pruned beyond the lookback of `done`. */
  seen: Record<string, number>;
}

export function isDeletedTicketsState(x: unknown): x is DeletedTicketsState {
  const s = x as DeletedTicketsState;
  return !!s && typeof s === 'object' && typeof s.done === 'number' && !!s.seen && typeof s.seen === 'object' && !Array.isArray(s.seen);
}

/** Record id: ticket id and deletion second, so a restored-and-deleted-again ticket is a new event. */
export function deletionKey(ticketId: string, deletedAtMs: number): string {
  return `${ticketId}:${isoSeconds(deletedAtMs)}`;
}

const PAGE_SIZE = 100;
const MALFORMED_POLLS = 3;

export const deletedTicketsSource = defineSource({
  type: 'zendesk_deleted_tickets',
  description: 'Zendesk ticket deletions from the deleted-tickets list (agent credentials)',
  sections: [zendeskSection],
  options: {
    ...commonZendeskOptions,
    lookback: duration({ min: 0 }).default(600_000).describe('Re-read this much before the newest deletion already sent, for deletions that become visible late (keys are deduplicated)'),
    requestsPerMinute: z.number().int().min(1).max(100).default(10).describe('Endpoint limit of the deleted-tickets list'),
  },
  create(config, env) {
    const client = accountClient(config.account, env);
    return {
      async run(ctx) {
        let state: DeletedTicketsState;
        if (ctx.checkpoint === undefined) state = { done: Math.floor(startTimeMs(config.startTime, ctx.now()) / 1000) * 1000, seen: {} };
        else if (isDeletedTicketsState(ctx.checkpoint)) state = { done: ctx.checkpoint.done, seen: { ...ctx.checkpoint.seen } };
        else throw new Error(`checkpoint of ${ctx.id} has an unexpected shape; run \`zsf checkpoints reset ${ctx.id}\``);
        const progress = new Progress(ctx);
        const maxAttempts = ctx.once ? 8 : undefined;
        let malformedStreak = 0;
        let warnedUnsorted = false;

        /** One newest-first walk down to done − lookback; returns the deletions not yet emitted, oldest first. */
        const walk = async (): Promise<SourceRecord[]> => {
          const cutoff = state.done - config.lookback;
          const found = new Map<string, SourceRecord>();
          const q = new URLSearchParams({ sort_by: 'deleted_at', sort_order: 'desc', 'page[size]': String(PAGE_SIZE) });
          let url: string | null = `/api/v2/deleted_tickets?${q.toString()}`;
          while (url) {
            const { body } = await client.getJson(url, { ctx, signal: ctx.signal, timeoutMs: config.requestTimeout, endpoint: 'deleted_tickets', endpointLimit: config.requestsPerMinute, ...(maxAttempts ? { maxAttempts } : {}) });
            const items = body.deleted_tickets;
            if (!Array.isArray(items)) throw new MalformedPageError(client.resolve(url), JSON.stringify(body).slice(0, 100_000), 'no "deleted_tickets" array');
            let oldest = Infinity;
            let previous = Infinity;
            let sorted = true;
            for (const raw of items as unknown[]) {
              const rec = raw as Record<string, unknown>;
              const id = rec && typeof rec === 'object' ? rec.id : undefined;
              const time = rec && typeof rec === 'object' ? parseTime(rec.deleted_at) : undefined;
              if ((typeof id !== 'number' && typeof id !== 'string') || id === '' || time === undefined) {
                await ctx.deadLetter({ reason: 'invalid_record', detail: 'deleted ticket without a usable id or deleted_at', kind: 'record', payload: raw, context: { url } });
                continue;
              }
              if (time > previous) sorted = false;
              previous = time;
              oldest = Math.min(oldest, time);
              if (time < cutoff) continue;
              const key = deletionKey(String(id), time);
              if (key in state.seen || found.has(key)) continue;
              found.set(key, { account: config.account, stream: 'deleted_ticket', id: key, time, raw: rec });
            }
            progress.page(0, state.done);
            if (!sorted && !warnedUnsorted) {
              warnedUnsorted = true;
              ctx.logger.warn({ url }, 'deleted tickets not returned newest first; reading the whole list each poll');
            }
            // Newest first: once a page reaches past the cutoff, the rest is older still.
            if (sorted && oldest < cutoff) break;
            const meta = body.meta as { has_more?: unknown } | undefined;
            const links = body.links as { next?: unknown } | undefined;
            const next = meta?.has_more === true && items.length > 0 && typeof links?.next === 'string' ? links.next : null;
            url = next && client.resolve(next) !== client.resolve(url) ? next : null;
          }
          return [...found.values()].sort((a, b) => a.time - b.time || a.id.localeCompare(b.id));
        };

        while (!ctx.signal.aborted) {
          let records: SourceRecord[];
          try {
            records = await walk();
            malformedStreak = 0;
          } catch (err) {
            if (!(err instanceof MalformedPageError)) throw err;
            await malformed(ctx, err, ++malformedStreak);
            await ctx.sleep(config.pollInterval, ctx.signal).catch(() => undefined);
            continue;
          }
          for (let i = 0; i < records.length; i += PAGE_SIZE) {
            const batch = records.slice(i, i + PAGE_SIZE);
            for (const r of batch) state.seen[r.id] = Math.floor(r.time / 1000);
            state = { done: Math.max(state.done, (batch[batch.length - 1] as SourceRecord).time), seen: state.seen };
            state = { ...state, seen: prune(state.seen, state.done - config.lookback) };
            ctx.metrics.sourceRecords.inc({ source: ctx.id, stream: 'deleted_ticket' }, batch.length);
            await ctx.emit({ records: batch, checkpoint: { done: state.done, seen: { ...state.seen } }, checkpointTime: state.done });
          }
          if (records.length === 0) await ctx.emit({ records: [], checkpoint: { done: state.done, seen: { ...state.seen } }, checkpointTime: state.done });
          if (ctx.once) return;
          progress.caughtUp(state.done);
          await ctx.sleep(config.pollInterval, ctx.signal).catch(() => undefined);
        }
      },
    };
  },
});

function prune(seen: Record<string, number>, keepFromMs: number): Record<string, number> {
  const keepFrom = Math.floor(keepFromMs / 1000);
  const out: Record<string, number> = {};
  for (const [k, sec] of Object.entries(seen)) if (sec >= keepFrom) out[k] = sec;
  return out;
}

/** Dead-letters a malformed page (nothing of that walk is emitted); throws with --once or after three polls in a row. */
async function malformed(ctx: SourceContext, err: MalformedPageError, streak: number): Promise<void> {
  await ctx.deadLetter({ reason: 'malformed_page', detail: err.message, kind: 'page', payload: err.body.slice(0, 100_000), context: { url: err.url } });
  if (ctx.once || streak >= MALFORMED_POLLS) throw new Error(`${err.message} (dead-lettered; nothing of that walk was committed)`);
  ctx.logger.error({ url: err.url, attempt: streak }, 'malformed page dead-lettered; the list will be walked again at the next poll');
}

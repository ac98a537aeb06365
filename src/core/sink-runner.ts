// Drives one sink: reads batches from its buffer, sends them through the driver with the
// shared retry helper, splits on `too_large`, dead-letters what is permanently rejected,
// backs off on auth failures while keeping the data, and acks the buffer afterwards.
// Drivers only encode, send once and classify (DESIGN §7).
//
// Health: the sink is unhealthy while its credentials are refused, while every attempt has
// failed for `unhealthyAfter`, or after a failed start-up healthcheck until the destination
// first answers. A Retry-After pauses the whole sink: no worker sends before it has passed.

import type { BufferEntry, EventBuffer, ReadBatch } from './buffers/buffer.js';
import { formatDuration } from '../util/units.js';
import { AbortedError, AUTH_BACKOFF, describeError, retry, type AttemptOutcome } from './retry.js';
import type { ComponentContext, EncodingMemo, SendOutcome, SinkDriver, SinkEvent } from './types.js';

/** A sink's common options, as the runner reads them (the config schema's sink type must fit this). */
export interface SinkRunConfig {
  id: string;
  batch: { maxEvents: number; maxBytes: number; maxWait: number };
  concurrency: number;
  requestTimeout: number;
  retry: { initialBackoff: number; maxBackoff: number; maxAttempts?: number; authBackoff: number };
  unhealthyAfter: number;
  healthcheck: { enabled: boolean };
  buffer: { type: 'memory'; maxEvents: number; maxBytes: number; whenFull: 'block' | 'drop_newest' } | { type: 'disk'; maxBytes: number; segmentBytes: number; whenFull: 'block' | 'drop_newest' };
}

export interface SinkRunnerOptions {
  config: SinkRunConfig;
  driver: SinkDriver;
  buffer: EventBuffer;
  ctx: ComponentContext;
}

export interface SinkRunner {
  /** Re-evaluates time-based health now (readiness probes call this before answering). */
  refreshHealth(): void;
  /** The start-up healthcheck failed: unhealthy until the destination first answers. */
  healthcheckFailed(reason: string): void;
  /** Stop reading; wait for in-flight requests (they are aborted when `signal` fires). */
  stop(): Promise<void>;
  /** Resolves when every worker has exited. */
  done: Promise<void>;
}

type Terminal = Exclude<SendOutcome, { kind: 'retry' } | { kind: 'auth' }>;

export function startSinkRunner({ config, driver, buffer, ctx }: SinkRunnerOptions): SinkRunner {
  const stopReading = new AbortController();
  const stopSending = new AbortController();
  const labels = { sink: config.id };
  const m = ctx.metrics;
  const countDelivered = (entries: BufferEntry[]) => {
    m.sinkEventsSent.inc(labels, entries.length);
    m.componentSentEvents.inc({ component: config.id, kind: 'sink' }, entries.length);
    m.componentSentBytes.inc({ component: config.id, kind: 'sink' }, entries.reduce((a, e) => a + e.bytes, 0));
  };
  let authFailing: string | undefined;
  let answered = false;
  let healthcheckProblem: string | undefined;
  /** First failed attempt since the destination last answered. */
  let failingSince: number | undefined;
  let lastFailure = '';
  let reported: string | undefined;
  /** Retry-After from any worker holds every worker until then (ctx.now() time). */
  let pausedUntil = 0;

  function refreshHealth(): void {
    let problem: string | undefined = authFailing;
    if (problem === undefined && failingSince !== undefined && ctx.now() - failingSince >= config.unhealthyAfter) {
      problem = `every delivery attempt has failed since ${new Date(failingSince).toISOString()} (over unhealthyAfter ${formatDuration(config.unhealthyAfter)}); last error: ${lastFailure}`;
    }
    problem ??= healthcheckProblem;
    if (problem === reported) return;
    if (problem !== undefined && reported === undefined && !authFailing) ctx.logger.error({ sink: config.id, reason: problem }, 'sink unhealthy');
    reported = problem;
    ctx.setHealthy(problem === undefined, problem);
  }

  /**
   * Waits out a pause another worker's Retry-After started. One sleep per pause (timers do not
   * fire early); a pause this worker set itself is already waited out by its retry loop.
   */
  async function waitWhilePaused(pause: { waited: number }): Promise<void> {
    while (pausedUntil > ctx.now() && pausedUntil !== pause.waited) {
      pause.waited = pausedUntil;
      await ctx.sleep(pausedUntil - ctx.now(), stopSending.signal);
    }
  }

  async function sendOnce(events: SinkEvent[], memo: EncodingMemo, pause: { waited: number }): Promise<AttemptOutcome<Terminal>> {
    await waitWhilePaused(pause);
    const signal = AbortSignal.any([stopSending.signal, AbortSignal.timeout(config.requestTimeout)]);
    const endTimer = m.sinkRequestSeconds.startTimer(labels);
    let outcome: SendOutcome;
    try {
      outcome = await driver.send(events, signal, memo);
    } catch (err) {
      if (stopSending.signal.aborted) throw new AbortedError();
      outcome = { kind: 'retry', reason: signal.aborted ? `request timed out after ${config.requestTimeout} ms` : describeError(err) };
    } finally {
      endTimer();
    }
    if (outcome.kind === 'retry' || outcome.kind === 'auth') {
      m.sinkErrors.inc({ ...labels, reason: outcome.kind === 'auth' ? 'auth' : 'retryable' });
      if (outcome.kind === 'retry') {
        if (outcome.retryAfterMs !== undefined) {
          pausedUntil = Math.max(pausedUntil, ctx.now() + outcome.retryAfterMs);
          pause.waited = pausedUntil; // retry() waits at least Retry-After before this worker's next attempt
        }
        failingSince ??= ctx.now();
        lastFailure = outcome.reason;
        refreshHealth();
      }
      return outcome;
    }
    // The destination answered: it is reachable and takes our credentials.
    answered = true;
    failingSince = undefined;
    healthcheckProblem = undefined;
    if (authFailing !== undefined) {
      authFailing = undefined;
      ctx.logger.info({ sink: config.id }, 'sink credentials accepted again; sending resumed');
    }
    refreshHealth();
    return { kind: 'ok', value: outcome };
  }

  async function deadLetter(entries: BufferEntry[], reason: string, detail: string): Promise<void> {
    m.sinkErrors.inc({ ...labels, reason }, entries.length);
    for (const e of entries) {
      await ctx.deadLetter({ reason, detail, kind: 'event', payload: { meta: e.event.meta, body: e.event.body } });
    }
  }

  async function deliver(batch: ReadBatch): Promise<void> {
    // A stack of sub-batches: a `too_large` answer pushes the two halves back.
    const work: BufferEntry[][] = [batch.entries];
    while (work.length) {
      const entries = work.pop()!;
      const events = entries.map((e) => e.event);
      const pause = { waited: 0 };
      // One encoding per (sub-)batch for all its attempts; a split or resend gets a fresh memo.
      const memo: EncodingMemo = {};
      const result = await retry<Terminal>(() => sendOnce(events, memo, pause), {
        policy: { initialMs: config.retry.initialBackoff, maxMs: config.retry.maxBackoff },
        authPolicy: { ...AUTH_BACKOFF, initialMs: config.retry.authBackoff },
        ...(config.retry.maxAttempts !== undefined ? { maxAttempts: config.retry.maxAttempts } : {}),
        signal: stopSending.signal,
        sleep: ctx.sleep,
        random: ctx.random,
        onRetry: (info) => {
          if (info.kind === 'auth') {
            if (authFailing === undefined) {
              authFailing = `destination rejected our credentials: ${info.reason}`;
              refreshHealth();
              ctx.logger.error({ sink: config.id, reason: info.reason, retryInMs: info.delayMs }, 'sink authentication failed; sending stopped, data kept in the buffer, retrying with long backoff');
            }
          } else {
            m.sinkRetries.inc(labels);
            ctx.logger.warn({ sink: config.id, attempt: info.attempt, reason: info.reason, retryInMs: info.delayMs }, 'sink delivery failed, retrying');
          }
        },
      }).finally(() => {
        // Settled, split or stopped: the encoded body must not outlive its batch (a hung
        // request's closure may still hold the memo object).
        memo.encoded = undefined;
      });
      if (result.kind !== 'ok') {
        // Only reachable with retry.maxAttempts set (auth is retried forever).
        await deadLetter(entries, 'retries_exhausted', result.reason);
        continue;
      }
      const outcome = result.value;
      switch (outcome.kind) {
        case 'ok':
          countDelivered(entries);
          break;
        case 'partial': {
          const rejected = new Set(outcome.rejected.map((r) => r.index));
          for (const r of outcome.rejected) {
            const e = entries[r.index];
            if (e) await deadLetter([e], 'rejected', r.reason);
          }
          if (!outcome.resendRest) {
            countDelivered(entries.filter((_, i) => !rejected.has(i)));
            break;
          }
          // Every round drops at least one event, so this ends; a driver that rejects nothing
          // but asks for a resend would loop, and is a bug to report loudly.
          if (rejected.size === 0) throw new Error(`sink ${config.id}: driver asked to resend without rejecting anything`);
          const rest = entries.filter((_, i) => !rejected.has(i));
          if (rest.length) work.push(rest);
          break;
        }
        case 'permanent':
          await deadLetter(entries, 'rejected', outcome.reason);
          break;
        case 'too_large':
          if (entries.length === 1) await deadLetter(entries, 'too_large', outcome.reason);
          else {
            const mid = Math.ceil(entries.length / 2);
            work.push(entries.slice(mid), entries.slice(0, mid));
          }
          break;
      }
    }
    await buffer.ack(batch);
  }

  /** Reads one batch and delivers it; false when the sink stops. */
  async function deliverNext(): Promise<boolean> {
    const batch = await buffer.read({
      maxEvents: config.batch.maxEvents,
      maxBytes: config.batch.maxBytes,
      maxWaitMs: config.batch.maxWait,
      signal: stopReading.signal,
    });
    if (!batch) return false;
    try {
      await deliver(batch);
    } catch (err) {
      if (err instanceof AbortedError) return false; // shutdown: the batch stays unacked (disk: replayed; memory: the source re-fetches)
      throw err;
    }
    return true;
  }

  async function worker(): Promise<void> {
    // One call per batch, so that a delivered batch is garbage at once: a loop variable would
    // keep it (its events' texts, up to batch.maxEvents) alive while the worker waits for the
    // next one, up to batch.maxWait (S3: 10,000 events for minutes).
    while (await deliverNext());
  }

  const workers = Array.from({ length: config.concurrency }, () =>
    worker().catch((err) => {
      // A failed sink stops reading: its unacked batch keeps the source checkpoints where they are.
      ctx.fail(`sink stopped: ${describeError(err)}`);
      stopReading.abort();
    }),
  );
  const done = Promise.all(workers).then(() => undefined);

  return {
    done,
    refreshHealth,
    healthcheckFailed(reason) {
      if (answered) return; // a delivery already proved the destination reachable
      healthcheckProblem = reason;
      refreshHealth();
    },
    async stop() {
      stopReading.abort();
      stopSending.abort();
      await done;
    },
  };
}

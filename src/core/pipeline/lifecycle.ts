// Lifecycle: the API server (started first), the sinks' background healthchecks, shutdown
// (stop sources, drain, close, commit, release) and the --once run that stops by itself once
// everything handed over is accepted.

import { startApiServer, type ApiServer } from '../../observability/api-server.js';
import type { DataDirLock } from '../datadir-lock.js';
import { describeError } from '../retry.js';
import type { SinkInstance } from './graph.js';
import type { SourceSupervisor } from './sources.js';
import { isDown, type RunState } from './state.js';
import type { ComponentState, PipelineResult } from './types.js';

/** Before anything is read or sent: a taken port is a start-up error, not a half-started instance. */
export async function startApi(state: RunState, sinks: Map<string, SinkInstance>, undoOnFailure: (() => Promise<void>)[]): Promise<ApiServer | undefined> {
  const { config, opts, components, metrics, secrets, logger } = state;
  const apiConfig = opts.api === undefined ? (config.api.enabled ? config.api : false) : opts.api;
  const readiness = {
    ready() {
      const out: Record<string, { state: string; reason?: string }> = {};
      let ready = true;
      for (const sink of sinks.values()) sink.runner?.refreshHealth();
      for (const [id, c] of components) {
        out[id] = { state: c.state, ...(c.reason ? { reason: c.reason } : {}), ...(c.restart ? { restartAt: c.restart.at } : {}) };
        if (isDown(c.state)) ready = false;
      }
      return { ready, components: out };
    },
  };
  if (!apiConfig) return undefined;
  const api = await startApiServer(apiConfig.listen, metrics.registry, readiness, secrets);
  undoOnFailure.push(api.close); // a later start-up error must not leave the port open (nor the process alive)
  logger.info({ url: api.url }, 'metrics and health endpoints listening');
  return api;
}

/**
 * Healthchecks run in the background, all at once, once the API and the sources are up:
 * a hung destination must not delay start-up or keep /healthz from answering.
 */
export function startHealthchecks(state: RunState, sinks: Map<string, SinkInstance>): void {
  const { sourceAbort, secrets } = state;
  for (const sink of sinks.values()) {
    if (!sink.config.healthcheck.enabled || !sink.driver.healthcheck) continue;
    void (async () => {
      try {
        await sink.driver.healthcheck!(AbortSignal.any([AbortSignal.timeout(sink.config.requestTimeout), sourceAbort.signal]));
      } catch (err) {
        if (sourceAbort.signal.aborted) return;
        // Not fatal: the destination may come up later, and the buffer keeps the data meanwhile.
        sink.runner?.healthcheckFailed(`healthcheck failed: ${describeError(err)}`);
        sink.ctx.logger.error({ reason: secrets.scrub(describeError(err)) }, 'sink healthcheck failed; will keep trying to deliver');
      }
    })();
  }
}

export interface LifecycleParts {
  state: RunState;
  sinks: Map<string, SinkInstance>;
  sources: SourceSupervisor;
  api: ApiServer | undefined;
  lock: DataDirLock;
}

export function startLifecycle({ state, sinks, sources, api, lock }: LifecycleParts): { done: Promise<PipelineResult>; stop(reason?: string): Promise<PipelineResult> } {
  const { config, opts, components, logger, now, sleep, setState, sourceAbort, sharedResources, deadLetters } = state;
  const { sourceRuns, committers, lagTimer } = sources;
  let stopping: Promise<PipelineResult> | null = null;
  let resolveDone!: (r: PipelineResult) => void;
  const done = new Promise<PipelineResult>((r) => (resolveDone = r));

  const result = (): PipelineResult => {
    // In --once mode a sink that could not deliver (auth) is a failure of the run too.
    const failed = (c: ComponentState) => c.state === 'failed' || (opts.once === true && c.kind === 'sink' && c.state === 'unhealthy');
    const failures = [...components].filter(([, c]) => failed(c)).map(([component, c]) => ({ component, reason: c.reason ?? c.state }));
    return { ok: failures.length === 0, failures };
  };

  async function shutdown(reason: string, drainAll: boolean): Promise<PipelineResult> {
    logger.info({ reason }, 'stopping pipeline');
    const deadline = now() + config.shutdownTimeout;
    sourceAbort.abort();
    await Promise.all(sourceRuns);
    // Drain: memory buffers always (their content exists nowhere else); disk buffers only
    // in --once mode (otherwise they are replayed on the next start).
    for (const s of sinks.values()) s.buffer.setFlushMode(true);
    // A sink that cannot deliver (auth failure) is not waited for: its data stays buffered
    // (disk) or uncommitted upstream (memory) and is delivered after the next start.
    // A failed sink (e.g. its dead letters cannot be written) has stopped reading: not waited for either.
    const toDrain = [...sinks.values()].filter((s) => (drainAll || s.buffer.kind === 'memory') && !isDown(components.get(s.id)?.state ?? 'stopped'));
    const deadlineTimer = new AbortController();
    await Promise.race([Promise.all(toDrain.map((s) => s.buffer.whenEmpty())), sleep(Math.max(0, deadline - now()), deadlineTimer.signal).catch(() => undefined)]);
    deadlineTimer.abort(); // don't keep the process alive until the deadline
    await Promise.all([...sinks.values()].map((s) => s.runner?.stop()));
    for (const s of sinks.values()) {
      await s.driver.close?.().catch((err: unknown) => s.ctx.logger.warn({ err: describeError(err) }, 'sink close failed'));
      if (!s.buffer.isEmpty()) {
        s.ctx.logger.warn({ events: s.buffer.events, buffer: s.buffer.kind }, s.buffer.kind === 'disk' ? 'events left in the disk buffer; delivered on next start' : 'undelivered events in the memory buffer; their source batches were not committed and will be fetched again');
      }
    }
    for (const [id, c] of committers) {
      try {
        await c.flush();
      } catch (err) {
        setState(id, 'failed', `checkpoint commit failed: ${describeError(err)}`);
      }
      c.rejectReceipts('the pipeline stopped before the batch was safe');
    }
    await Promise.all([...sinks.values()].map((s) => s.buffer.close()));
    // Shared resources (e.g. one Zendesk connection pool per account) are closed last.
    for (const r of sharedResources.values()) {
      const close = (r as { close?: () => Promise<void> })?.close;
      if (typeof close === 'function') await close.call(r).catch(() => undefined);
    }
    clearInterval(lagTimer);
    await api?.close();
    await deadLetters.close();
    lock.release();
    const r = result();
    logger.info({ ok: r.ok, failures: r.failures }, 'pipeline stopped');
    resolveDone(r);
    return r;
  }

  const stop = (reason = 'stop requested') => (stopping ??= shutdown(reason, false));

  if (opts.once) {
    void (async () => {
      await Promise.all(sourceRuns);
      // Wait for everything handed over to be accepted, unless a sink cannot deliver (auth) or something failed.
      const drained = Promise.all([...sinks.values()].map((s) => (s.buffer.setFlushMode(true), s.buffer.whenEmpty()))).then(() =>
        Promise.all([...committers.values()].map((c) => c.whenIdle())),
      );
      const blocked = new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const bad = [...components.values()].some((c) => c.state === 'failed' || (c.kind === 'sink' && c.state === 'unhealthy'));
          if (bad) {
            clearInterval(timer);
            resolve();
          }
        }, 100);
        void drained.then(() => clearInterval(timer));
        void done.then(() => clearInterval(timer)); // stopped by a signal: don't keep the process alive
      });
      await Promise.race([drained, blocked]);
      stopping ??= shutdown('caught up (--once)', true);
    })();
  }

  return { done, stop };
}

// Builds the component graph from a validated config and runs it: sources emit batches,
// transforms map events, fan-out pushes them into every sink buffer (blocking while full),
// sink runners deliver, and each source's checkpoint is committed in order once every
// delivery of a batch is accepted (DESIGN §3, §4).

import { join, resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import type { DestinationStream } from 'pino';
import { loadConfigObject, type LoadedConfig } from '../config/load.js';
import type { SinkConfig } from '../config/schema.js';
import { startApiServer, type ApiServer } from '../observability/api-server.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { sourcePlugins } from '../sources/index.js';
import { sinkPlugins } from '../sinks/index.js';
import { transformPlugins } from '../../transforms/index.js';
import { BatchHandle, OrderedCommitter } from './acks.js';
import type { BufferEntry, EventBuffer } from './buffers/buffer.js';
import { DiskBuffer } from './buffers/disk.js';
import { MemoryBuffer } from './buffers/memory.js';
import { CheckpointError, loadCheckpoint, removeStaleCheckpointTemps, saveCheckpoint } from './checkpoints.js';
import { acquireDataDirLock, type DataDirLock } from './datadir-lock.js';
import { DeadLetterStore, type DeadLetterInput } from './dead-letter.js';
import type { BuildEnv } from './plugin.js';
import { AbortedError, describeError, restartDelay, sleep as realSleep } from './retry.js';
import { startSinkRunner, type SinkRunner } from './sink-runner.js';
import { checkRecordLimits, truncatedPreview, tryStringify, type RecordLimits } from './record-limits.js';
import { recordToEvent, type ComponentContext, type PipelineEvent, type SinkDriver, type Source, type SourceRecord, type Transform } from './types.js';

export interface PipelineOptions {
  /** Run sources until caught up, drain, commit and finish. */
  once?: boolean;
  env?: Record<string, string | undefined>;
  baseDir?: string;
  /** Where JSON logs go (default stdout). */
  logDestination?: DestinationStream;
  logger?: Logger;
  /** Overrides config.api (tests use `{ listen: '127.0.0.1:0' }` or `false`). */
  api?: { listen: string } | false;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** `zsf dead-letters replay`: run this instead of the configured sources (see src/core/replay.ts). */
  replay?: ReplayHooks;
}

/** Re-enter events at a component: a source's downstream, a transform (run again), or one sink. */
export type InjectFn = (at: string, events: PipelineEvent[], handle: BatchHandle) => Promise<void>;

export interface ReplayHooks {
  /** Replaces the sources: injects the selected dead letters, then returns (the run drains like --once). */
  run(inject: InjectFn): Promise<void>;
  /** Sees (and may annotate) every dead letter written during the replay. */
  deadLetter(entry: DeadLetterInput): DeadLetterInput;
  /** Every sink gets a memory buffer (disk buffers belong to `zsf run`); the hook may wrap it. */
  buffer(sink: string, buffer: EventBuffer): EventBuffer;
}

export interface ComponentState {
  kind: 'source' | 'transform' | 'sink';
  state: 'starting' | 'running' | 'caught_up' | 'unhealthy' | 'failed' | 'stopped';
  reason?: string;
  /** A failed source waiting to restart: when (ISO 8601) and how many failures in a row. */
  restart?: { at: string; failures: number };
}

export interface PipelineResult {
  ok: boolean;
  failures: { component: string; reason: string }[];
}

export interface Pipeline {
  loaded: LoadedConfig;
  metrics: Metrics;
  logger: Logger;
  deadLetterDir: string;
  apiUrl?: string;
  components: Map<string, ComponentState>;
  /** Resolves when the run ends (--once: caught up and drained; otherwise after stop()). */
  done: Promise<PipelineResult>;
  stop(reason?: string): Promise<PipelineResult>;
}

interface SinkInstance {
  id: string;
  config: SinkConfig;
  driver: SinkDriver;
  buffer: EventBuffer;
  runner?: SinkRunner;
}

/** Takes the dataDir lock first (one instance per dataDir), then starts; the lock is released when the pipeline stops or fails to start. */
export async function startPipeline(input: unknown, opts: PipelineOptions = {}): Promise<Pipeline> {
  const loaded = isLoaded(input) ? input : loadConfigObject(input, { ...(opts.env ? { env: opts.env } : {}), ...(opts.baseDir ? { baseDir: opts.baseDir } : {}) });
  const lock = await acquireDataDirLock(loaded.config.dataDir);
  const undoOnFailure: (() => Promise<void>)[] = [];
  try {
    return await startLocked(loaded, opts, lock, undoOnFailure);
  } catch (err) {
    for (const undo of undoOnFailure.reverse()) await undo().catch(() => undefined);
    lock.release();
    throw err;
  }
}

async function startLocked(input: unknown, opts: PipelineOptions, lock: DataDirLock, undoOnFailure: (() => Promise<void>)[]): Promise<Pipeline> {
  const loaded = isLoaded(input) ? input : loadConfigObject(input, { ...(opts.env ? { env: opts.env } : {}), ...(opts.baseDir ? { baseDir: opts.baseDir } : {}) });
  const { config, graph, secrets } = loaded;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? realSleep;
  const logger = opts.logger ?? createLogger({ level: config.log.level, secrets, ...(opts.logDestination ? { destination: opts.logDestination } : {}) });
  const metrics = createMetrics({ defaultMetrics: true });
  if (lock.takenOver) logger.warn({ lock: lock.path, previous: lock.takenOver.previous, reason: lock.takenOver.reason }, 'took over a stale dataDir lock');
  const deadLetters = new DeadLetterStore(config.dataDir, metrics, secrets, now);
  const components = new Map<string, ComponentState>();
  const contexts = new Map<string, ComponentContext>();
  const sharedResources = new Map<string, unknown>();
  const sourceAbort = new AbortController();

  const setState = (id: string, state: ComponentState['state'], reason?: string) => {
    const c = components.get(id);
    if (!c) return;
    c.state = state;
    delete c.restart;
    if (reason === undefined) delete c.reason;
    else c.reason = secrets.scrub(reason);
    metrics.componentUp.set({ component: id, kind: c.kind }, isDown(state) ? 0 : 1);
  };

  function context(id: string, kind: ComponentState['kind']): ComponentContext {
    components.set(id, { kind, state: 'starting' });
    const log = logger.child({ component: id });
    const fail = (reason: string) => {
      setState(id, 'failed', reason);
      log.error({ reason: secrets.scrub(reason) }, 'component failed');
    };
    const ctx: ComponentContext = {
      id,
      logger: log,
      metrics,
      // A dead letter replaces delivery; when it cannot be stored the item must stay upstream,
      // so the component fails loudly and the caller sees the rejection and does not ack.
      deadLetter: (entry) =>
        deadLetters.write(opts.replay ? opts.replay.deadLetter({ ...entry, component: id }) : { ...entry, component: id }).catch((err: unknown) => {
          const e = err as { path?: string; code?: string };
          log.error({ path: e.path, code: e.code, err: secrets.scrub(describeError(err)) }, 'cannot write dead letter; stopping this component so the item is not acknowledged');
          fail(`dead letter not stored: ${describeError(err)}`);
          throw err;
        }),
      fail,
      setHealthy: (healthy, reason) => {
        const s = components.get(id)!.state;
        if (s === 'failed') return;
        setState(id, healthy ? 'running' : 'unhealthy', healthy ? undefined : reason);
      },
      now,
      random,
      sleep,
    };
    contexts.set(id, ctx);
    return ctx;
  }

  function buildEnv(id: string): BuildEnv {
    return {
      id,
      dataDir: config.dataDir,
      resolvePath: (p: string) => resolvePath(loaded.baseDir, p),
      logger: logger.child({ component: id }),
      metrics,
      secrets,
      config,
      shared<T>(key: string, make: () => T): T {
        if (!sharedResources.has(key)) sharedResources.set(key, make());
        return sharedResources.get(key) as T;
      },
      reread: (path: string) => loaded.reread?.(path),
    };
  }

  // Declared before the API starts: /readyz reads it.
  const sinks = new Map<string, SinkInstance & { ctx: ComponentContext }>();

  // ---------------------------------------------------------------- api
  // Before anything is read or sent: a taken port is a start-up error, not a half-started instance.
  let api: ApiServer | undefined;
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
  if (apiConfig) {
    api = await startApiServer(apiConfig.listen, metrics.registry, readiness, secrets);
    undoOnFailure.push(api.close); // a later start-up error must not leave the port open (nor the process alive)
    logger.info({ url: api.url }, 'metrics and health endpoints listening');
  }

  // ---------------------------------------------------------------- transforms
  const transforms = new Map<string, { fn: Transform; ctx: ComponentContext }>();
  for (const t of config.transforms) {
    const plugin = transformPlugins.find((p) => p.type === t.type)!;
    const ctx = context(t.id, 'transform');
    transforms.set(t.id, { fn: plugin.create(t as never, buildEnv(t.id)), ctx });
    setState(t.id, 'running');
  }

  // ---------------------------------------------------------------- sinks
  for (const raw of config.sinks) {
    const s = raw as unknown as SinkConfig;
    const plugin = sinkPlugins.find((p) => p.type === s.type)!;
    const ctx = context(s.id, 'sink');
    const driver = plugin.create(s as never, buildEnv(s.id));
    const buffer: EventBuffer = opts.replay
      ? opts.replay.buffer(s.id, new MemoryBuffer({ sink: s.id, maxEvents: s.buffer.type === 'memory' ? s.buffer.maxEvents : 10_000, maxBytes: Math.min(s.buffer.maxBytes, 64 * 1024 * 1024), whenFull: 'block', metrics }))
      : s.buffer.type === 'disk'
        ? await DiskBuffer.open({
            sink: s.id,
            dir: join(config.dataDir, 'buffers', s.id),
            maxBytes: s.buffer.maxBytes,
            segmentBytes: s.buffer.segmentBytes,
            whenFull: s.buffer.whenFull,
            metrics,
            deadLetter: ctx.deadLetter,
            warn: (msg, extra) => ctx.logger.warn(extra ?? {}, msg),
          })
        : new MemoryBuffer({ sink: s.id, maxEvents: s.buffer.maxEvents, maxBytes: s.buffer.maxBytes, whenFull: s.buffer.whenFull, metrics });
    sinks.set(s.id, { id: s.id, config: s, driver, buffer, ctx });
  }

  for (const sink of sinks.values()) {
    setState(sink.id, 'running');
    sink.runner = startSinkRunner({ config: sink.config, driver: sink.driver, buffer: sink.buffer, ctx: sink.ctx });
  }

  // ---------------------------------------------------------------- routing
  async function applyTransform(id: string, events: PipelineEvent[]): Promise<PipelineEvent[]> {
    const { fn, ctx } = transforms.get(id)!;
    const out: PipelineEvent[] = [];
    for (const e of events) {
      let failure: string | undefined;
      try {
        let r = fn(e);
        if (r && typeof (r as Promise<unknown>).then === 'function') r = await r;
        if (Array.isArray(r)) for (const x of r) out.push(x);
        else if (r) out.push(r as PipelineEvent);
      } catch (err) {
        failure = describeError(err); // e.g. RangeError from a mapper; never escapes the transform
      }
      if (failure !== undefined) await ctx.deadLetter({ reason: 'transform_failed', detail: failure, kind: 'event', payload: { meta: e.meta, body: e.body } });
    }
    metrics.transformEvents.inc({ transform: id }, out.length);
    metrics.componentReceivedEvents.inc({ component: id, kind: 'transform' }, events.length);
    metrics.componentSentEvents.inc({ component: id, kind: 'transform' }, out.length);
    return out;
  }

  async function route(from: string, events: PipelineEvent[], handle: BatchHandle, signal: AbortSignal): Promise<void> {
    if (events.length === 0) return;
    const targets = graph.downstream.get(from) ?? [];
    // Serialise each event once for every sink that reads it (sizes; frames of disk buffers).
    // An event without a JSON form is dead-lettered by the component that produced it.
    let forSinks: { events: PipelineEvent[]; sizes: { json: string; bytes: number }[] } | undefined;
    if (targets.some((to) => graph.kind.get(to) === 'sink')) {
      forSinks = { events: [], sizes: [] };
      for (const e of events) {
        const r = tryStringify(e.body);
        if ('json' in r) {
          forSinks.events.push(e);
          forSinks.sizes.push({ json: r.json, bytes: Buffer.byteLength(r.json) });
        } else {
          await contexts.get(from)!.deadLetter({ reason: 'unserialisable_event', detail: r.error, kind: 'event', payload: { meta: e.meta, body: e.body } });
        }
      }
    }
    await Promise.all(
      targets.map(async (to) => {
        if (graph.kind.get(to) === 'transform') {
          await route(to, await applyTransform(to, events), handle, signal);
          return;
        }
        const sink = sinks.get(to)!;
        const { events: ok, sizes } = forSinks!;
        if (ok.length === 0) return;
        const keepJson = sink.buffer.kind === 'disk'; // a memory buffer would only hold the string twice
        const entries: BufferEntry[] = ok.map((event, i) => ({ event, bytes: sizes[i]!.bytes, ack: handle, ...(keepJson ? { json: sizes[i]!.json } : {}) }));
        handle.add(entries.length);
        metrics.componentReceivedEvents.inc({ component: to, kind: 'sink' }, entries.length);
        metrics.componentReceivedBytes.inc({ component: to, kind: 'sink' }, entries.reduce((a, e) => a + e.bytes, 0));
        await sink.buffer.push(entries, signal);
      }),
    );
  }

  // ---------------------------------------------------------------- sources
  const staleTemps = await removeStaleCheckpointTemps(config.dataDir);
  if (staleTemps.length) logger.info({ files: staleTemps }, 'removed temporary checkpoint files left by a stopped process');
  const committers = new Map<string, OrderedCommitter>();
  const lastCheckpointTime = new Map<string, number>();
  const sourceRuns: Promise<void>[] = [];
  const limits: RecordLimits = { maxDepth: config.limits.maxRecordDepth, maxBytes: config.limits.maxRecordBytes };
  for (const s of opts.replay ? [] : config.sources) {
    const plugin = sourcePlugins.find((p) => p.type === s.type)!;
    const ctx = context(s.id, 'source');

    /** One life of the source: returns why it failed, or undefined when it ended or was stopped. */
    const runOnce = async (progress: { emitted: boolean }): Promise<string | undefined> => {
      let source: Source;
      try {
        source = plugin.create(s as never, buildEnv(s.id));
      } catch (err) {
        return describeError(err);
      }
      // A new committer per life: batches of a failed life that were never sealed would block
      // the old one forever; it is abandoned, and its batches are read again from the checkpoint.
      committers.get(s.id)?.abandon();
      const committer = new OrderedCommitter(async (cp, time) => {
        await saveCheckpoint(config.dataDir, s.id, cp, time, now());
        metrics.checkpointCommits.inc({ source: s.id });
        if (time !== undefined) {
          lastCheckpointTime.set(s.id, Math.max(time, lastCheckpointTime.get(s.id) ?? -Infinity));
          metrics.sourceLag.set({ source: s.id }, Math.max(0, (now() - lastCheckpointTime.get(s.id)!) / 1000));
        }
      });
      committers.set(s.id, committer);
      // Lag counts from a poll's reach only once everything emitted before it is delivered
      // (one wait at a time: a stalled sink does not pile up waiters).
      let reach: number | undefined;
      const reached = (t: number) => {
        const waiting = reach !== undefined;
        reach = Math.max(t, reach ?? -Infinity);
        if (!waiting)
          void committer.whenIdle().then(() => {
            lastCheckpointTime.set(s.id, Math.max(reach!, lastCheckpointTime.get(s.id) ?? -Infinity));
            reach = undefined;
            metrics.sourceLag.set({ source: s.id }, Math.max(0, (now() - lastCheckpointTime.get(s.id)!) / 1000));
          });
      };
      let checkpoint: unknown;
      try {
        const file = await loadCheckpoint(config.dataDir, s.id);
        checkpoint = file?.state;
        if (file?.checkpointTime !== undefined) lastCheckpointTime.set(s.id, file.checkpointTime);
      } catch (err) {
        return err instanceof CheckpointError ? err.message : describeError(err);
      }
      setState(s.id, 'running');
      try {
        await source.run({
          ...ctx,
          checkpoint,
          signal: sourceAbort.signal,
          once: opts.once ?? false,
          reached,
          emit: async (batch) => {
            if (sourceAbort.signal.aborted) throw new AbortedError();
            const handle = committer.begin(batch.checkpoint, batch.checkpointTime);
            metrics.componentReceivedEvents.inc({ component: s.id, kind: 'source' }, batch.records.length);
            // Sealed only when every record was handed over or dead-lettered: a batch that
            // failed half-way stays open, so the checkpoint never moves past it.
            const events = await admitRecords(ctx, batch.records, limits);
            await route(s.id, events, handle, sourceAbort.signal);
            metrics.componentSentEvents.inc({ component: s.id, kind: 'source' }, events.length);
            handle.seal();
            progress.emitted = true;
            return { durable: handle.durable, committed: handle.committed };
          },
        });
        if (components.get(s.id)!.state === 'running') setState(s.id, opts.once ? 'caught_up' : 'stopped');
        return undefined;
      } catch (err) {
        if (sourceAbort.signal.aborted && (err instanceof AbortedError || (err as Error)?.name === 'AbortError')) return undefined;
        return describeError(err);
      }
    };

    sourceRuns.push(
      (async () => {
        // A failed source restarts from its last checkpoint after a backoff (exponential,
        // jittered, capped); --once fails the run instead. The reason stays visible meanwhile.
        let failures = 0;
        for (;;) {
          const progress = { emitted: false };
          const reason = await runOnce(progress);
          if (reason === undefined) return;
          if (progress.emitted) failures = 0;
          committers.get(s.id)?.rejectReceipts(`source ${s.id} failed: ${secrets.scrub(reason)}`);
          ctx.fail(reason);
          if (opts.once || sourceAbort.signal.aborted) return;
          const delayMs = restartDelay(failures++, { initialMs: config.sourceRestart.initialBackoff, maxMs: config.sourceRestart.maxBackoff }, random);
          components.get(s.id)!.restart = { at: new Date(now() + delayMs).toISOString(), failures };
          ctx.logger.warn({ reason: secrets.scrub(reason), restartInMs: delayMs, failures }, 'source failed; restarting from its last checkpoint after a backoff');
          try {
            await sleep(delayMs, sourceAbort.signal);
          } catch {
            return; // stopping: the source stays failed with its reason
          }
        }
      })(),
    );
  }

  // ---------------------------------------------------------------- replay
  const inject: InjectFn = async (at, events, handle) => {
    const kind = graph.kind.get(at);
    if (kind === 'source') return route(at, events, handle, sourceAbort.signal);
    if (kind === 'transform') return route(at, await applyTransform(at, events), handle, sourceAbort.signal);
    const sink = sinks.get(at);
    if (!sink) throw new Error(`no component "${at}" in the config`);
    handle.add(events.length);
    await sink.buffer.push(events.map((event) => ({ event, bytes: Buffer.byteLength(JSON.stringify(event.body)), ack: handle })), sourceAbort.signal);
  };
  if (opts.replay) sourceRuns.push(opts.replay.run(inject).catch((err: unknown) => logger.error({ err: describeError(err) }, 'replay failed')));

  const lagTimer = setInterval(() => {
    for (const [id, t] of lastCheckpointTime) metrics.sourceLag.set({ source: id }, Math.max(0, (now() - t) / 1000));
  }, 5000);
  lagTimer.unref();

  // Healthchecks run in the background, all at once, once the API and the sources are up:
  // a hung destination must not delay start-up or keep /healthz from answering.
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

  // ---------------------------------------------------------------- lifecycle
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

  return {
    loaded,
    metrics,
    logger,
    deadLetterDir: deadLetters.directory,
    ...(api ? { apiUrl: api.url } : {}),
    components,
    done,
    stop,
  };
}

function isDown(state: ComponentState['state']): boolean {
  return state === 'failed' || state === 'unhealthy';
}

/**
 * Turns a source batch into events, dead-lettering (with a truncated preview) every record
 * over the depth or size limit before any transform can choke on it. Rejects only when a
 * dead letter cannot be stored; the batch is then not sealed.
 */
async function admitRecords(ctx: ComponentContext, records: SourceRecord[], limits: RecordLimits): Promise<PipelineEvent[]> {
  const out: PipelineEvent[] = [];
  for (const r of records) {
    const problem = checkRecordLimits(r.raw, limits);
    if (!problem) {
      out.push(recordToEvent(r));
      continue;
    }
    await ctx.deadLetter({
      reason: problem.reason,
      detail: `${problem.detail}; payload truncated`,
      kind: 'record',
      payload: truncatedPreview(r.raw),
      context: { account: r.account, stream: r.stream, id: r.id },
    });
  }
  return out;
}

function isLoaded(x: unknown): x is LoadedConfig {
  return typeof x === 'object' && x !== null && 'config' in x && 'graph' in x && 'secrets' in x;
}

// Source supervisor: one life of a source after another (restart from the last checkpoint
// after a backoff), each life with its own OrderedCommitter; `emit` admits, routes and seals a
// batch; the lag gauge follows the newest committed or reached time.

import { COALESCED_COMMITS, OrderedCommitter } from '../acks.js';
import { CheckpointError, loadCheckpoint, removeStaleCheckpointTemps, saveCheckpoint } from '../checkpoints.js';
import type { Registry } from '../plugin.js';
import type { RecordLimits } from '../record-limits.js';
import { AbortedError, describeError, restartDelay } from '../retry.js';
import type { Source } from '../types.js';
import { admitRecords, type Router } from './router.js';
import type { RunState } from './state.js';
import type { ComponentSpec } from './types.js';

export interface SourceSupervisor {
  /** One promise per source (and the replay's run): settles when that source stopped for good. */
  sourceRuns: Promise<void>[];
  committers: Map<string, OrderedCommitter>;
  lastCheckpointTime: Map<string, number>;
  lagTimer: NodeJS.Timeout;
}

export async function superviseSources(state: RunState, registry: Registry, route: Router['route'], keepPages: (source: string) => boolean = () => false): Promise<SourceSupervisor> {
  const { config, opts, logger, metrics, components, sourceAbort, now, setState, context } = state;
  const staleTemps = await removeStaleCheckpointTemps(config.dataDir);
  if (staleTemps.length) logger.info({ files: staleTemps }, 'removed temporary checkpoint files left by a stopped process');
  const committers = new Map<string, OrderedCommitter>();
  const lastCheckpointTime = new Map<string, number>();
  const sourceRuns: Promise<void>[] = [];
  const limits: RecordLimits = { maxDepth: config.limits.maxRecordDepth, maxBytes: config.limits.maxRecordBytes };
  for (const s of opts.replay ? [] : config.sources) {
    const plugin = registry.sources.find((p) => p.type === s.type);
    if (!plugin) throw new Error(`no plugin registered for type "${s.type}"`);
    const ctx = context(s.id, 'source');

    /** One life of the source: returns why it failed, or undefined when it ended or was stopped. */
    const runOnce = async (progress: { emitted: boolean }): Promise<string | undefined> => {
      let source: Source;
      try {
        source = plugin.create(s as never, state.buildEnv(s.id));
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
      }, COALESCED_COMMITS);
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
          keepPages: keepPages(s.id),
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

    sourceRuns.push(superviseLives(state, s, runOnce, (reason) => committers.get(s.id)?.rejectReceipts(reason)));
  }

  const lagTimer = setInterval(() => {
    for (const [id, t] of lastCheckpointTime) metrics.sourceLag.set({ source: id }, Math.max(0, (now() - t) / 1000));
  }, 5000);
  lagTimer.unref();
  return { sourceRuns, committers, lastCheckpointTime, lagTimer };
}

/**
 * A failed source restarts from its last checkpoint after a backoff (exponential, jittered,
 * capped); --once fails the run instead. The reason stays visible meanwhile.
 */
async function superviseLives(
  state: RunState,
  s: ComponentSpec,
  runOnce: (progress: { emitted: boolean }) => Promise<string | undefined>,
  /** A life failed: whoever waits on its receipts must not wait for a restart. */
  rejectReceipts: (reason: string) => void,
): Promise<void> {
  const { config, opts, components, sourceAbort, now, random, sleep, secrets } = state;
  const ctx = state.contexts.get(s.id)!;
  let failures = 0;
  for (;;) {
    const progress = { emitted: false };
    const reason = await runOnce(progress);
    if (reason === undefined) return;
    if (progress.emitted) failures = 0;
    rejectReceipts(`source ${s.id} failed: ${secrets.scrub(reason)}`);
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
}

// Runs a component graph from a validated config: sources emit batches, transforms map events,
// fan-out pushes them into every sink buffer (blocking while full), sink runners deliver, and
// each source's checkpoint is committed in order once every delivery of a batch is accepted
// (DESIGN §3, §4). The parts live in ./pipeline/: state (contexts, build envs), graph (plugins
// and buffers), router (transforms, fan-out, replay injection), sources (supervisor, lag),
// lifecycle (API, healthchecks, shutdown, --once). Which plugins exist is the caller's
// Registry; loading the config is the caller's too (src/app/start.ts).

import { acquireDataDirLock, type DataDirLock } from './datadir-lock.js';
import type { Registry } from './plugin.js';
import { describeError } from './retry.js';
import { buildSinks, buildTransformPool, buildTransforms, startSinkRunners, type SinkInstance } from './pipeline/graph.js';
import { startApi, startHealthchecks, startLifecycle } from './pipeline/lifecycle.js';
import { createRouter } from './pipeline/router.js';
import { superviseSources } from './pipeline/sources.js';
import { createRunState } from './pipeline/state.js';
import type { Pipeline, PipelineInput, RunOptions } from './pipeline/types.js';

export type * from './pipeline/types.js';

/** Takes the dataDir lock first (one instance per dataDir), then starts; the lock is released when the pipeline stops or fails to start. */
export async function runPipeline<L extends PipelineInput>(loaded: L, registry: Registry, opts: RunOptions = {}): Promise<Pipeline<L>> {
  const lock = await acquireDataDirLock(loaded.config.dataDir);
  const undoOnFailure: (() => Promise<void>)[] = [];
  try {
    return await startLocked(loaded, registry, opts, lock, undoOnFailure);
  } catch (err) {
    for (const undo of undoOnFailure.reverse()) await undo().catch(() => undefined);
    lock.release();
    throw err;
  }
}

async function startLocked<L extends PipelineInput>(loaded: L, registry: Registry, opts: RunOptions, lock: DataDirLock, undoOnFailure: (() => Promise<void>)[]): Promise<Pipeline<L>> {
  const state = createRunState(loaded, opts, lock);
  // Declared before the API starts: /readyz reads it.
  const sinks = new Map<string, SinkInstance>();
  const api = await startApi(state, sinks, undoOnFailure);

  const transforms = buildTransforms(state, registry);
  const pool = buildTransformPool(state, registry, transforms);
  await buildSinks(state, registry, sinks);
  startSinkRunners(state, sinks);

  const router = createRouter({ graph: loaded.graph, transforms, sinks, contexts: state.contexts, metrics: state.metrics, sourceAbort: state.sourceAbort, ...(pool ? { pool } : {}) });
  // Page texts are kept only for the sources whose records a transform worker maps.
  const keepPages = (source: string) => (loaded.graph.downstream.get(source) ?? []).some((to) => pool?.offloads(to) === true);
  const sources = await superviseSources(state, registry, router.route, keepPages);
  if (opts.replay) sources.sourceRuns.push(opts.replay.run(router.inject).catch((err: unknown) => state.logger.error({ err: describeError(err) }, 'replay failed')));

  startHealthchecks(state, sinks);
  const { done, stop } = startLifecycle({ state, sinks, sources, api, lock });

  return {
    loaded,
    metrics: state.metrics,
    logger: state.logger,
    deadLetterDir: state.deadLetters.directory,
    ...(api ? { apiUrl: api.url } : {}),
    components: state.components,
    done,
    stop,
  };
}

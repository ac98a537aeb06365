// Graph build: one instance per configured transform and sink, made by its plugin from the
// registry, and each sink's buffer (memory, disk, or the replay's memory buffer).

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { EventBuffer } from '../buffers/buffer.js';
import { DiskBuffer } from '../buffers/disk.js';
import { MemoryBuffer } from '../buffers/memory.js';
import type { Registry } from '../plugin.js';
import { startSinkRunner, type SinkRunConfig, type SinkRunner } from '../sink-runner.js';
import type { ComponentContext, SinkDriver, Transform } from '../types.js';
import type { RunState } from './state.js';
import { createTransformPool, type TransformPool, type WorkerRecipe } from './transform-pool.js';

export interface TransformInstance {
  fn: Transform;
  ctx: ComponentContext;
}

export interface SinkInstance {
  id: string;
  config: SinkRunConfig;
  driver: SinkDriver;
  buffer: EventBuffer;
  runner?: SinkRunner;
  ctx: ComponentContext;
}

/** A plugin of the registry by type; the config schema only admits registered types. */
function pluginOf<P extends { type: string }>(plugins: P[], type: string): P {
  const plugin = plugins.find((p) => p.type === type);
  if (!plugin) throw new Error(`no plugin registered for type "${type}"`);
  return plugin;
}

export function buildTransforms(state: RunState, registry: Registry): Map<string, TransformInstance> {
  const { config, context, setState, buildEnv } = state;
  const transforms = new Map<string, TransformInstance>();
  for (const t of config.transforms) {
    const plugin = pluginOf(registry.transforms, t.type);
    const ctx = context(t.id, 'transform');
    transforms.set(t.id, { fn: plugin.create(t as never, buildEnv(t.id)), ctx });
    setState(t.id, 'running');
  }
  return transforms;
}

/** How many transform workers `workers` means: "auto" is the available CPUs (0 on one CPU, where a worker only adds the hand-over). */
export function workerCount(workers: number | 'auto' | undefined): number {
  if (typeof workers === 'number') return workers;
  if (workers === undefined) return 0;
  const cpus = availableParallelism();
  return cpus > 1 ? cpus : 0;
}

/**
 * The worker pool for the transforms that can run in one: a plugin with a worker recipe, whose
 * output feeds sinks only (a transform reading it would need the objects back). Absent when
 * `workers` is 0 or no transform qualifies. Closed with the shared resources, last.
 */
export function buildTransformPool(state: RunState, registry: Registry, transforms: Map<string, TransformInstance>): TransformPool | undefined {
  const { config, opts, input, logger, buildEnv, sharedResources } = state;
  const size = workerCount(opts.workers ?? config.workers);
  if (size === 0) return undefined;
  const recipes = new Map<string, WorkerRecipe>();
  for (const t of config.transforms) {
    const plugin = pluginOf(registry.transforms, t.type);
    const feedsTransform = (input.graph.downstream.get(t.id) ?? []).some((to) => input.graph.kind.get(to) === 'transform');
    if (plugin.worker && !feedsTransform) recipes.set(t.id, plugin.worker(t as never, buildEnv(t.id)));
  }
  if (recipes.size === 0) return undefined;
  const pool = createTransformPool({
    size,
    recipes,
    onFailure: (err) => {
      // The batch in hand is not sealed (its route rejects and its source restarts from its
      // checkpoint), so nothing is committed past it; /readyz says so until a worker answers.
      logger.error({ err: err.message }, 'transform worker failed; its batches are re-read and the next one starts a new worker');
      for (const id of recipes.keys()) transforms.get(id)?.ctx.setHealthy(false, err.message);
    },
    onRecovered: () => {
      logger.info('a new transform worker answers');
      for (const id of recipes.keys()) transforms.get(id)?.ctx.setHealthy(true);
    },
  });
  sharedResources.set('transform-pool', pool);
  logger.info({ workers: size, transforms: [...recipes.keys()] }, 'mapping in worker threads');
  return pool;
}

/** Fills `sinks` (the map /readyz already reads) with every configured sink and its buffer. */
export async function buildSinks(state: RunState, registry: Registry, sinks: Map<string, SinkInstance>): Promise<void> {
  const { config, opts, metrics, context, buildEnv } = state;
  for (const s of config.sinks) {
    const plugin = pluginOf(registry.sinks, s.type);
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
}

export function startSinkRunners(state: RunState, sinks: Map<string, SinkInstance>): void {
  for (const sink of sinks.values()) {
    state.setState(sink.id, 'running');
    sink.runner = startSinkRunner({ config: sink.config, driver: sink.driver, buffer: sink.buffer, ctx: sink.ctx });
  }
}

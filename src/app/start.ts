// startPipeline: load the config (unless given loaded) with the default registry, then run it.
// The core's runPipeline takes the registry as an argument; this is where it comes from.

import { runPipeline, type Pipeline as CorePipeline, type RunOptions } from '../core/pipeline.js';
import type { Registry } from '../core/plugin.js';
import type { Env } from '../config/load.js';
import { loadConfigObject, type LoadedConfig } from './config.js';
import { defaultRegistry } from './registry.js';

export type { ComponentState, InjectFn, PipelineResult, ReplayHooks } from '../core/pipeline.js';

export interface PipelineOptions extends RunOptions {
  /** Environment for `${VAR}` in a config given as an object (default: process.env). */
  env?: Env;
  /** Folder relative paths of a config given as an object resolve against (default: the working directory). */
  baseDir?: string;
  /** Component types and sections (default: every built-in plugin). */
  registry?: Registry;
}

export type Pipeline = CorePipeline<LoadedConfig>;

export async function startPipeline(input: unknown, opts: PipelineOptions = {}): Promise<Pipeline> {
  const { env, baseDir, registry = defaultRegistry, ...run } = opts;
  const loaded = isLoaded(input) ? input : loadConfigObject(input, { ...(env ? { env } : {}), ...(baseDir ? { baseDir } : {}) }, registry);
  return runPipeline(loaded, registry, run);
}

function isLoaded(x: unknown): x is LoadedConfig {
  return typeof x === 'object' && x !== null && 'config' in x && 'graph' in x && 'secrets' in x;
}

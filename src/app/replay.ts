// `zsf dead-letters replay` with the default registry: the core's replay runs the pipeline
// through runPipeline, which takes the registry as an argument.

import type { Registry } from '../core/plugin.js';
import { replayDeadLetters as replayWith, type ReplayOptions, type ReplayReport } from '../core/replay.js';
import type { LoadedConfig } from './config.js';
import { defaultRegistry } from './registry.js';

export type { ReplayOptions, ReplayReport } from '../core/replay.js';

export function replayDeadLetters(loaded: LoadedConfig, opts: ReplayOptions = {}, registry: Registry = defaultRegistry): Promise<ReplayReport> {
  return replayWith(loaded, registry, opts);
}

// `zsf run`: start the pipeline from a config file and keep it running until SIGINT/SIGTERM
// (or, with --once, until every source has caught up and everything is delivered).

import type { LoadedConfig } from '../app/config.js';
import { startPipeline, type Pipeline, type PipelineResult } from '../app/start.js';
import { startProgress } from './progress.js';

export interface RunOptions {
  once?: boolean;
  /** Called once the pipeline has started (the demo uses it to show progress). */
  onStart?: (p: Pipeline) => void;
}

export async function runFromConfig(loaded: LoadedConfig, opts: RunOptions = {}): Promise<PipelineResult> {
  const pipeline = await startPipeline(loaded, { once: opts.once ?? false });
  opts.onStart?.(pipeline);
  const stopProgress = startProgress(pipeline);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      pipeline.logger.warn({ signal: sig }, 'second signal: exiting without waiting for the drain');
      process.exit(130);
    }
    void pipeline.stop(`received ${sig}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await pipeline.done;
  } finally {
    await stopProgress();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    pipeline.logger.flush();
  }
}

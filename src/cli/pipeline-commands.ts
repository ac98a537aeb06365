// `zsf run`, `zsf validate` and `zsf config schema`: the commands that read a config file with the
// default registry.

import type { Command } from 'commander';
import type { Pipeline } from '../app/start.js';
import { configJsonSchema, loadConfigFile } from '../app/config.js';
import { flushCompileCache } from './compile-cache.js';
import { runFromConfig } from './run.js';
import { formatSummary, summarise } from './summary.js';

/** How long after start-up the compile cache is written (the sinks' lazily loaded drivers are in by then); the timer never keeps the process alive. */
const COMPILE_CACHE_FLUSH_DELAY_MS = 10_000;

export function registerPipelineCommands(program: Command): void {
  program
    .command('run')
    .description('run the pipeline described by a config file')
    .requiredOption('-c, --config <file>', 'config file (YAML)')
    .option('--once', 'catch up to now, deliver everything, commit and exit')
    .action(async (o: { config: string; once?: boolean }) => {
      const started = Date.now();
      let pipeline: Pipeline | undefined;
      const onStart = (p: Pipeline) => {
        pipeline = p;
        // Node writes the cache at exit; a long run that is killed would never write it.
        if (!o.once) setTimeout(flushCompileCache, COMPILE_CACHE_FLUSH_DELAY_MS).unref();
      };
      const result = await runFromConfig(loadConfigFile(o.config), { once: o.once ?? false, onStart });
      // stdout carries the JSON log lines; the human summary goes to stderr.
      if (o.once && pipeline) process.stderr.write(formatSummary(await summarise(pipeline, result, Date.now() - started)).join('\n') + '\n');
      process.exitCode = result.ok ? 0 : 1;
    });

  program
    .command('validate')
    .description('check a config file (schema, references, graph) without running it')
    .requiredOption('-c, --config <file>', 'config file (YAML)')
    .action((o: { config: string }) => {
      const { config } = loadConfigFile(o.config);
      console.log(`${o.config}: OK (${config.sources.length} sources, ${config.transforms.length} transforms, ${config.sinks.length} sinks)`);
    });

  program
    .command('config')
    .description('config helpers')
    .command('schema')
    .description('print the JSON Schema of the config file (for editors)')
    .action(() => {
      console.log(JSON.stringify(configJsonSchema(), null, 2));
    });
}

#!/usr/bin/env node
// Command-line entry: `zsf run | validate | config schema | checkpoints | dead-letters | simulate | demo | verify | keygen | webhook-test`.
// Exit codes: 0 success, 1 runtime failure, 2 invalid configuration or usage, dataDir locked by
// another instance, or API port taken (nothing was read or sent).

import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/errors.js';
import { DataDirLockedError } from '../core/datadir-lock.js';
import type { Pipeline } from '../app/start.js';
import { ApiListenError } from '../observability/api-server.js';
import { packageVersion } from '../observability/build-info.js';
import { loadConfigFile } from '../app/config.js';
import { configJsonSchema } from '../app/config.js';
import { registerCheckpointsCommand } from './checkpoints.js';
import { registerContentCommand } from './content.js';
import { registerDeadLettersCommand } from './dead-letters.js';
import { runFromConfig } from './run.js';
import { registerDemoCommand } from './demo.js';
import { registerIntegrityCommands } from './integrity.js';
import { registerSimulateCommand } from './simulate.js';
import { formatSummary, summarise } from './summary.js';
import { registerTopCommand } from './top.js';
import { registerWebhookTestCommand } from './webhook-test.js';
import { UsageError } from './usage-error.js';

const program = new Command()
  .name('zsf')
  .description('zendesk-siem-forwarder: ship Zendesk audit logs, ticket audits and access logs to your SIEM')
  .version(packageVersion())
  .exitOverride();

program
  .command('run')
  .description('run the pipeline described by a config file')
  .requiredOption('-c, --config <file>', 'config file (YAML)')
  .option('--once', 'catch up to now, deliver everything, commit and exit')
  .action(async (o: { config: string; once?: boolean }) => {
    const started = Date.now();
    let pipeline: Pipeline | undefined;
    const result = await runFromConfig(loadConfigFile(o.config), { once: o.once ?? false, onStart: (p) => (pipeline = p) });
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

registerCheckpointsCommand(program);
registerDeadLettersCommand(program);
registerSimulateCommand(program);
registerDemoCommand(program);
registerTopCommand(program);
registerWebhookTestCommand(program);
registerContentCommand(program);
registerIntegrityCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Nothing was read or sent: exit 2 like a configuration error, with the reason on stderr.
  if (err instanceof ConfigError || err instanceof UsageError || err instanceof DataDirLockedError || err instanceof ApiListenError) {
    console.error(err.message);
    process.exitCode = 2;
  } else if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

// The `zsf` program: its commands, and the exit codes (0 success, 1 runtime failure, 2 invalid
// configuration or usage, dataDir locked by another instance, or API port taken: nothing was
// read or sent).
//
// Start-up cost: each command's module, and what it imports, loads only when that command runs
// (`zsf run` loads neither the simulator, nor the integrity verifier, nor `top`'s screen code).
// `--help`, `help`, no command or an unknown one register every command, in the order below, so
// the help text and commander's "did you mean" are those of the whole program.

import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/errors.js';
import { DataDirLockedError } from '../core/datadir-lock.js';
import { ApiListenError } from '../observability/api-server.js';
import { packageVersion } from '../observability/build-info.js';
import { UsageError } from './usage-error.js';

type Register = (program: Command) => void;

/** Every top-level command, in help order, with the module that defines it. */
const COMMANDS: { names: string[]; load: () => Promise<Register> }[] = [
  { names: ['run', 'validate', 'config'], load: async () => (await import('./pipeline-commands.js')).registerPipelineCommands },
  { names: ['checkpoints'], load: async () => (await import('./checkpoints.js')).registerCheckpointsCommand },
  { names: ['dead-letters'], load: async () => (await import('./dead-letters.js')).registerDeadLettersCommand },
  { names: ['simulate'], load: async () => (await import('./simulate.js')).registerSimulateCommand },
  { names: ['demo'], load: async () => (await import('./demo.js')).registerDemoCommand },
  { names: ['top'], load: async () => (await import('./top.js')).registerTopCommand },
  { names: ['webhook-test'], load: async () => (await import('./webhook-test.js')).registerWebhookTestCommand },
  { names: ['content'], load: async () => (await import('./content.js')).registerContentCommand },
  { names: ['verify', 'keygen'], load: async () => (await import('./integrity.js')).registerIntegrityCommands },
];

/** The commands `argv` can reach: the one it names, or all of them when it names none (help, a global option, a typo). */
function commandsFor(argv: readonly string[]): typeof COMMANDS {
  const named = argv[2];
  const one = COMMANDS.filter((c) => named !== undefined && c.names.includes(named));
  return one.length ? one : COMMANDS;
}

export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command()
    .name('zsf')
    .description('zendesk-siem-forwarder: ship Zendesk audit logs, ticket audits and access logs to your SIEM')
    .version(packageVersion())
    .exitOverride();
  for (const c of commandsFor(argv)) (await c.load())(program);
  return program;
}

/** Parses `argv` and runs its command; sets process.exitCode. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
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
}

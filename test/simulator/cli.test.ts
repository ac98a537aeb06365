import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerSimulateCommand } from '../../src/cli/simulate.js';

function program(): Command {
  const p = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerSimulateCommand(p);
  p.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }));
  return p;
}

describe('zsf simulate', () => {
  it('registers the command with its options', () => {
    const cmd = program().commands.find((c) => c.name() === 'simulate')!;
    expect(cmd).toBeDefined();
    const flags = cmd.options.map((o) => o.long);
    for (const f of ['--port', '--seed', '--audit-logs', '--access-logs', '--ticket-events', '--no-limits', '--fault', '--live', '--forbidden']) expect(flags).toContain(f);
  });

  it('rejects malformed values before starting anything', async () => {
    for (const args of [['--fault', 'tickets:5xx'], ['--seed', 'x'], ['--live', 'audit_logs=fast']]) {
      await expect(program().parseAsync(['node', 'zsf', 'simulate', ...args])).rejects.toBeInstanceOf(CommanderError);
    }
  });
});

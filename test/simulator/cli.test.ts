import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerSimulateCommand } from '../../src/cli/simulate.js';
import { parseFaultSpec } from '../../src/simulator/index.js';

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
    for (const f of ['--port', '--seed', '--audit-logs', '--access-logs', '--ticket-events', '--no-limits', '--fault', '--live', '--forbidden', '--descending-only', '--next-link-drops-filters', '--cursor-cycle']) expect(flags).toContain(f);
  });

  it('rejects malformed values before starting anything', async () => {
    for (const args of [['--fault', 'tickets:5xx'], ['--seed', 'x'], ['--live', 'audit_logs=fast']]) {
      await expect(program().parseAsync(['node', 'zsf', 'simulate', ...args])).rejects.toBeInstanceOf(CommanderError);
    }
  });

  it('parses the hostile-upstream fault kinds', () => {
    expect(parseFaultSpec('audit_logs:html200:times=2')).toEqual({ endpoint: 'audit_logs', kind: 'html200', count: 2 });
    expect(parseFaultSpec('access_logs:redirect:on=3')).toEqual({ endpoint: 'access_logs', kind: 'redirect', onRequest: 3 });
    expect(() => parseFaultSpec('audit_logs:html:times=2')).toThrow(/unknown fault kind "html"/);
  });
});

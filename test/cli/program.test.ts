// The program registers only the command that runs (start-up cost), and every command, in help
// order, whenever the command line names none of them (help, a global option, a typo), so that
// `zsf --help` and commander's "did you mean" still see the whole program.

import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

const ALL = ['run', 'validate', 'config', 'checkpoints', 'dead-letters', 'simulate', 'demo', 'top', 'webhook-test', 'content', 'verify', 'keygen'];
const names = async (...args: string[]) => (await buildProgram(['node', 'zsf', ...args])).commands.map((c) => c.name());

describe('zsf program', () => {
  it('registers every command, in help order, when no command is named', async () => {
    expect(await names()).toEqual(ALL);
    expect(await names('--help')).toEqual(ALL);
    expect(await names('help', 'run')).toEqual(ALL);
    expect(await names('frobnicate')).toEqual(ALL);
  });

  it('registers only the named command and the commands defined beside it', async () => {
    expect(await names('run', '--once', '-c', 'x.yaml')).toEqual(['run', 'validate', 'config']);
    expect(await names('simulate')).toEqual(['simulate']);
    expect(await names('keygen', '--out', 'k')).toEqual(['verify', 'keygen']);
  });
});

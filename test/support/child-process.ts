// Tests that run the product as a real process (signals, locks, the README's commands) start it
// here, with its output captured for assertions.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface CapturedChild {
  child: ChildProcess;
  /** stdout so far. */
  out(): string;
  /** stderr so far. */
  err(): string;
  /** The exit code (null when killed by a signal), on 'exit'. */
  exit: Promise<number | null>;
  /** The exit code and the complete output, once the process's streams are closed. */
  closed: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Spawns `file args` with stdin ignored and stdout/stderr captured. */
export function spawnCaptured(file: string, args: string[], opts: Omit<SpawnOptions, 'stdio'> = {}): CapturedChild {
  const child = spawn(file, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const closed = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout: out, stderr: err })));
  return { child, out: () => out, err: () => err, exit, closed };
}

/** The CLI from source (`node --import tsx src/cli/main.ts …args`), run from the repository root unless `cwd` says otherwise. */
export function spawnZsf(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CapturedChild {
  return spawnCaptured(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { ...(opts.cwd ? { cwd: opts.cwd } : {}), env: { ...process.env, ...opts.env } });
}

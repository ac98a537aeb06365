// A child process loaded ahead of its turn, for the crash tests: it prints "ready" once its
// modules are loaded, starts its pipeline on "go" (stdin) and prints "started", so a restart
// after a SIGKILL takes milliseconds and the kill moment is the one the test chose.

import { spawn } from 'node:child_process';

export interface WarmChild {
  ready: Promise<void>;
  started: Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  go(): void;
  kill(): void;
  /** stdout and stderr so far. */
  out(): string;
}

/** Runs `node --import tsx <script> <args>` (a script of the repository, path from its root). */
export function spawnWarmChild(script: string, args: string[]): WarmChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let onReady!: () => void;
  let onStarted!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const started = new Promise<void>((r) => (onStarted = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready')) onReady();
    if (out.includes('started')) onStarted();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      onReady();
      onStarted();
      resolve({ code, signal });
    });
  });
  return { ready, started, exit, go: () => child.stdin.write('go\n'), kill: () => child.kill('SIGKILL'), out: () => out };
}

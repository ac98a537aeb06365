// `zsf top`: a live view of a running instance, read from its /metrics.
//   On a TTY: a screen of tables redrawn in place every --interval; q, Esc or Ctrl-C quits
//   (raw mode; the terminal is restored on every way out).
//   Not a TTY: plain `key=value` lines every --interval, from the second scrape on (a rate
//   needs two); --once takes two scrapes one interval apart, prints one snapshot and exits.
// Exit codes: 0 done, 1 the instance could not be read with --once, 2 usage.

import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { parseDuration } from '../config/units.js';
import { parsePromText } from './top/prom-text.js';
import { renderPlain, renderScreen } from './top/render.js';
import { computeSnapshot, type Scrape, type TopSnapshot } from './top/snapshot.js';

export interface TopOptions {
  /** Base URL of the instance's API (http://host:port) or the full /metrics URL. */
  url: string;
  intervalMs: number;
  once?: boolean;
  /** Redraw in place (default: out.isTTY). */
  tty?: boolean;
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  err?: NodeJS.WritableStream;
  /** Keys (q, Esc, Ctrl-C) are read from here in TTY mode when it is a TTY. */
  input?: NodeJS.ReadStream;
  /** Stops a continuous run (tests; signals are handled by the caller). */
  signal?: AbortSignal;
  requestTimeoutMs?: number;
}

export function metricsUrl(url: string): string {
  const u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/metrics';
  return u.toString();
}

export async function scrape(url: string, timeoutMs = 5000): Promise<Scrape> {
  const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${res.statusCode}`);
  return { ...parsePromText(text), time: Date.now(), mono: performance.now() };
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code && !String(e.message).includes(e.code) ? `${e.code}: ${e.message}` : String(e.message ?? err);
}

/** Resolves after ms, or early (false) when the signal aborts. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export async function runTop(opts: TopOptions): Promise<number> {
  const url = metricsUrl(opts.url);
  const err = opts.err ?? process.stderr;
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  if (opts.signal?.aborted) stop.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timeout = opts.requestTimeoutMs ?? Math.max(1000, Math.min(10_000, opts.intervalMs));
  try {
    if (opts.once) return await runOnce(url, opts, err, timeout);
    if (opts.tty ?? Boolean(opts.out.isTTY)) return await runScreen(url, opts, stop, timeout);
    return await runLines(url, opts, err, stop.signal, timeout);
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

async function runOnce(url: string, opts: TopOptions, err: NodeJS.WritableStream, timeout: number): Promise<number> {
  try {
    const first = await scrape(url, timeout);
    await wait(opts.intervalMs, opts.signal ?? new AbortController().signal);
    const second = await scrape(url, timeout);
    opts.out.write(renderPlain(computeSnapshot(first, second)).join('\n') + '\n');
    return 0;
  } catch (e) {
    err.write(`zsf top: cannot read ${url}: ${describe(e)}\n`);
    return 1;
  }
}

async function runLines(url: string, opts: TopOptions, err: NodeJS.WritableStream, signal: AbortSignal, timeout: number): Promise<number> {
  let prev: Scrape | undefined;
  for (;;) {
    try {
      const cur = await scrape(url, timeout);
      if (prev) opts.out.write(renderPlain(computeSnapshot(prev, cur)).join('\n') + '\n');
      prev = cur;
    } catch (e) {
      err.write(`${new Date().toISOString()} error=${JSON.stringify(`cannot read ${url}: ${describe(e)}`)}\n`);
      prev = undefined;
    }
    if (!(await wait(opts.intervalMs, signal))) return 0;
  }
}

// Terminal control: alternate screen, cursor home, clear to end of line / screen.
const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const EOL = '\x1b[K';
const EOS = '\x1b[J';

async function runScreen(url: string, opts: TopOptions, stop: AbortController, timeout: number): Promise<number> {
  const out = opts.out;
  const input = opts.input;
  const raw = Boolean(input?.isTTY && typeof input.setRawMode === 'function');
  let prev: Scrape | undefined;
  let snapshot: TopSnapshot | undefined;
  let error: string | undefined;

  const draw = () => {
    const cols = out.columns && out.columns > 0 ? out.columns : 120;
    const rows = out.rows && out.rows > 0 ? out.rows : 50;
    const lines = renderScreen(snapshot, { url, intervalMs: opts.intervalMs, ...(error ? { error } : {}) }).slice(0, rows);
    out.write(HOME + lines.map((l) => l.slice(0, cols) + EOL).join('\n') + EOS);
  };
  const onKey = (chunk: Buffer | string) => {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    // q / Q, Ctrl-C (0x03: raw mode delivers it as a byte, not a signal), Ctrl-D, a lone Esc.
    if (s.includes('q') || s.includes('Q') || s.includes('\u0003') || s.includes('\u0004') || s === '\u001b') stop.abort();
  };
  const onResize = () => draw();

  out.write(ENTER);
  if (raw) {
    input!.setRawMode(true);
    input!.resume();
    input!.on('data', onKey);
  }
  out.on('resize', onResize);
  try {
    draw();
    for (;;) {
      try {
        const cur = await scrape(url, timeout);
        snapshot = computeSnapshot(prev, cur);
        prev = cur;
        error = undefined;
      } catch (e) {
        error = `cannot read ${url}: ${describe(e)} (retrying)`;
        prev = undefined;
      }
      if (stop.signal.aborted) return 0;
      draw();
      if (!(await wait(opts.intervalMs, stop.signal))) return 0;
    }
  } finally {
    out.off('resize', onResize);
    if (raw) {
      input!.off('data', onKey);
      input!.setRawMode(false);
      input!.pause();
    }
    out.write(LEAVE);
  }
}

function intervalOption(value: string): number {
  // A bare number is seconds here (a human flag); units as in the config file otherwise.
  const ms = /^\d+(\.\d+)?$/.test(value.trim()) ? Math.round(Number(value) * 1000) : parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 2s, 500ms or 2 (seconds)');
  if (ms < 100) throw new InvalidArgumentError('must be at least 100ms');
  return ms;
}

export function registerTopCommand(program: Command): void {
  program
    .command('top')
    .description("live view of a running instance's /metrics: records/s, lag and 429s per source; events/s, bytes/s, errors, retries and buffer fill per sink; dead letters")
    .option('-u, --url <url>', 'API address of the instance (its api.listen)', 'http://127.0.0.1:9464')
    .option('-i, --interval <duration>', 'refresh interval: 2s, 500ms, or seconds', intervalOption, 2000)
    .option('--once', 'take two scrapes one interval apart, print one snapshot as plain lines and exit')
    .action(async (o: { url: string; interval: number; once?: boolean }) => {
      const stop = new AbortController();
      // On a TTY in raw mode Ctrl-C arrives as a key; otherwise (pipes, kubectl exec without -t,
      // docker stop) it is a signal. Either way: restore the terminal and exit 0.
      const onSignal = () => stop.abort();
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
      for (const s of signals) process.on(s, onSignal);
      // `zsf top | head`: the reader went away; stop quietly instead of dying on EPIPE.
      const onOutError = (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') stop.abort();
        else throw err;
      };
      process.stdout.on('error', onOutError);
      try {
        process.exitCode = await runTop({
          url: o.url,
          intervalMs: o.interval,
          once: o.once ?? false,
          out: process.stdout,
          err: process.stderr,
          input: process.stdin,
          signal: stop.signal,
        });
      } finally {
        for (const s of signals) process.off(s, onSignal);
        process.stdout.off('error', onOutError);
      }
    });
}

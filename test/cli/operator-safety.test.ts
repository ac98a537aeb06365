// What an operator can get wrong, tried as real `zsf` processes: a second instance on the same
// dataDir, `checkpoints reset` while an instance runs or of an unknown id, a taken API port, a
// lock left by a crash, and the summary `run --once` ends with.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnZsf, type CapturedChild } from '../support/child-process.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/probe.js';

const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function zsf(...args: string[]): CapturedChild {
  const run = spawnZsf(args);
  running.push(run.child);
  return run;
}

/** A generator -> file config; `paced` keeps it running long enough to be a "running instance". */
function writeConfig(dir: string, opts: { paced?: boolean; api?: string; count?: number } = {}): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    [
      'dataDir: ./data',
      opts.api ? `api: { listen: "${opts.api}" }` : 'api: { enabled: false }',
      'log: { level: info }',
      'sources:',
      `  - { id: gen, type: generator, count: ${opts.count ?? 1000}, batchSize: 100${opts.paced ? ', ratePerSecond: 200' : ''} }`,
      'sinks:',
      '  - { id: out, type: file, inputs: [gen], path: ./out.ndjson }',
      '',
    ].join('\n'),
  );
  return path;
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

describe('operator safety', () => {
  it('a second instance on the same dataDir exits 2 naming the holder, before it reads or sends anything; reset refuses meanwhile', async () => {
    const dir = tempDir('zsf-two-');
    const config = writeConfig(dir, { paced: true, count: 1_000_000 });
    const first = zsf('run', '--config', config);
    const checkpoint = join(dir, 'data', 'checkpoints', 'gen.json');
    await eventually(() => existsSync(checkpoint), 'the first instance to commit a checkpoint', 30_000);
    const firstPid = first.child.pid!;

    const second = zsf('run', '--config', config, '--once');
    expect(await second.exit).toBe(2);
    expect(second.err()).toContain(`dataDir ${join(dir, 'data')} locked by pid ${firstPid} on ${hostname()}`);
    // Nothing started: no component logged a line, no summary.
    expect(second.out()).toBe('');
    expect(second.err()).not.toContain('done in');

    const reset = zsf('checkpoints', 'reset', 'gen', '--config', config);
    expect(await reset.exit).toBe(2);
    expect(reset.err()).toContain(`locked by pid ${firstPid}`);
    expect(existsSync(checkpoint)).toBe(true);

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(existsSync(join(dir, 'data', 'zsf.lock'))).toBe(false);
    // Once it has stopped, the reset goes through.
    const again = zsf('checkpoints', 'reset', 'gen', '--config', config);
    expect(await again.exit).toBe(0);
    expect(again.out()).toMatch(/checkpoint of gen moved to .*gen\.json\.reset-/);
    expect(existsSync(checkpoint)).toBe(false);
  }, 90_000);

  it('checkpoints reset of an unknown id exits 2 and lists the known ones', async () => {
    const dir = tempDir('zsf-reset-');
    const config = writeConfig(dir);
    const r = zsf('checkpoints', 'reset', 'nosuch', '--config', config);
    expect(await r.exit).toBe(2);
    expect(r.err().trim()).toBe('unknown source "nosuch"; known: gen');
  }, 30_000);

  it('a taken API port is a start-up error: exit 2 with the address and the fix, nothing read or written, no lock left', async () => {
    const dir = tempDir('zsf-port-');
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const config = writeConfig(dir, { api: `127.0.0.1:${port}` });
      const r = zsf('run', '--config', config, '--once');
      expect(await r.exit).toBe(2);
      expect(r.err()).toContain(`cannot listen on api.listen 127.0.0.1:${port}`);
      expect(r.err()).toContain('already in use');
      expect(existsSync(join(dir, 'out.ndjson'))).toBe(false);
      expect(existsSync(join(dir, 'data', 'checkpoints'))).toBe(false);
      expect(readdirSync(join(dir, 'data'))).toEqual([]);
    } finally {
      server.close();
    }
  }, 30_000);

  it('a start-up failure after the API is up closes it and releases the lock: the process exits instead of hanging', async () => {
    const dir = tempDir('zsf-startfail-');
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      ['dataDir: ./data', 'api: { listen: "127.0.0.1:0" }', 'sources:', '  - { id: gen, type: generator, count: 10 }', 'sinks:', '  - { id: out, type: file, inputs: [gen], path: ./out.ndjson, buffer: { type: disk } }', ''].join('\n'),
    );
    // The disk buffer's directory cannot be created: a file is in the way.
    mkdirSync(join(dir, 'data', 'buffers'), { recursive: true });
    writeFileSync(join(dir, 'data', 'buffers', 'out'), 'in the way');
    const r = zsf('run', '--config', config, '--once');
    expect(await r.exit).toBe(1);
    expect(r.out()).toContain('metrics and health endpoints listening');
    expect(r.err()).toContain('EEXIST');
    expect(existsSync(join(dir, 'data', 'zsf.lock'))).toBe(false);
  }, 30_000);

  it('takes over the lock a crashed instance left, says so in the log, and releases it at the end', async () => {
    const dir = tempDir('zsf-stale-');
    const config = writeConfig(dir);
    const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => dead.on('exit', r));
    const lock = join(dir, 'data', 'zsf.lock');
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(lock, JSON.stringify({ pid: dead.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'crashed' }));
    const r = zsf('run', '--config', config, '--once');
    expect(await r.exit).toBe(0);
    expect(r.out()).toContain('"msg":"took over a stale dataDir lock"');
    expect(r.out()).toContain(`pid ${dead.pid} is not running`);
    expect(lines(join(dir, 'out.ndjson'))).toBe(1000);
    expect(existsSync(lock)).toBe(false);
  }, 30_000);

  it('run --once ends with a summary on stderr: per source records and requests, per sink events, bytes, retries, dead letters, wall time', async () => {
    const dir = tempDir('zsf-summary-');
    const config = writeConfig(dir, { count: 1234 });
    const r = zsf('run', '--config', config, '--once');
    expect(await r.exit).toBe(0);
    const bytes = readFileSync(join(dir, 'out.ndjson')).length;
    const err = r.err().split('\n');
    expect(err[0]).toMatch(/^done in \d+\.\ds$/);
    expect(err).toContainEqual(expect.stringMatching(/^ {2}source gen +1,234 records +0 requests +0 × 429 +0 dead letters$/));
    const sink = err.find((l) => l.startsWith('  sink   out'));
    expect(sink).toMatch(/^ {2}sink {3}out +1,234 events +[\d.]+ (KiB|MiB) sent +0 retries +0 dead letters$/);
    // The bytes are what the file sink wrote (shown with one decimal).
    const [, value, unit] = /([\d.]+) (KiB|MiB) sent/.exec(sink!)!;
    const shown = Number(value) * (unit === 'KiB' ? 1024 : 1024 ** 2);
    expect(Math.abs(shown - bytes) / bytes).toBeLessThan(0.05);
    // stdout stays JSON log lines only.
    for (const l of r.out().split('\n').filter(Boolean)) expect(() => JSON.parse(l) as unknown).not.toThrow();
  }, 30_000);
});

// Every command of the README's quick start and CLI list, run as written, as child processes,
// against the simulator the README itself starts, in a temp dir: exit code and one line of
// output each. The commands are read from README.md, so the test follows the README; a command
// it has no specific check for must at least exit 0 within a minute.
//
// The only changes made to what the README says:
// - the commands run in a temp dir holding `my.yaml` (pointing at the simulator) and a `dist`
//   symlink to the clone's build, as if run from the clone's root with the user's own config;
// - `simulate --port 8089` listens on port 0 (tests never take fixed ports) and `top --url
//   http://127.0.0.1:9464` gets the address of the instance the test started;
// - `npm start` writes under a temp dir (ZSF_DEMO_DATA_DIR) instead of the clone's ./data/demo.
// Not run: `npm ci` (it would reinstall the node_modules this test runs from) and `npm test`
// (it is this suite). `npm run build` runs when dist/ is missing or older than the sources.

import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS } from '../../src/simulator/index.js';
import { spawnCaptured, type CapturedChild } from '../support/child-process.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/probe.js';

const ROOT = resolve('.');
const SKIPPED = new Map([
  ['npm ci', 'reinstalls the node_modules this test runs from'],
  ['npm test', 'is the suite this test belongs to'],
]);

/** Commands of the ```sh blocks in the "Quick start" section, comments dropped, `a && b` split. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quick start\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) =>
    b
      .split('\n')
      .map((l) => l.replace(/\s+#\s.*$/, '').trim())
      .filter(Boolean)
      .flatMap((l) => l.split(' && ').map((c) => c.trim())),
  );
}

type Proc = CapturedChild;

const children: ChildProcess[] = [];

/** Runs a README command: through `sh -c` when it redirects, otherwise split on spaces (no quoting in them). */
function launch(command: string, opts: { cwd: string; env?: Record<string, string> }): Proc {
  const shell = /[>|<]/.test(command);
  const [file, ...args] = shell ? ['sh', '-c', command] : command.split(/\s+/);
  const proc = spawnCaptured(file!, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  children.push(proc.child);
  return proc;
}

/** Waits on a child's output or files: children start tsx on a shared machine, so a minute. */
const CHILD_WAIT_MS = 60_000;

async function finished(p: Proc, timeoutMs = 120_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const code = await Promise.race([p.exit, timeout]);
  clearTimeout(timer);
  if (code === 'timeout') {
    p.child.kill('SIGKILL');
    throw new Error(`did not exit within ${timeoutMs} ms; stdout: ${p.out().slice(-500)} stderr: ${p.err().slice(-500)}`);
  }
  return code;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const commands = readmeCommands();
const simulateCommand = commands.find((c) => / simulate /.test(c));

describe('README quick start and CLI commands, as written', () => {
  const dir = tempDir('zsf-readme-');
  let simulator: Proc;
  let simulatorUrl = '';

  beforeAll(async () => {
    expect(simulateCommand, 'the README starts a simulator').toBeDefined();
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
    // CI builds right before the tests; locally, build when dist/ is missing or older than the sources.
    const main = join(ROOT, 'dist/src/cli/main.js');
    if (!existsSync(main) || Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'transforms'))) > statSync(main).mtimeMs) await buildOrFail();
    simulator = launch(simulateCommand!.replace('--port 8089', '--port 0'), { cwd: dir });
    simulatorUrl = await eventually(() => /listening on (http:\/\/\S+)/.exec(simulator.out())?.[1], 'the simulator to listen', CHILD_WAIT_MS);
    writeFileSync(
      join(dir, 'my.yaml'),
      [
        'dataDir: ./data',
        'api: { listen: "127.0.0.1:0" }',
        'log: { level: info }',
        'zendesk:',
        '  accounts:',
        `    - { name: acme, baseUrl: "${simulatorUrl}", auth: { type: token, email: "${DEMO_CREDENTIALS.email}", token: "${DEMO_CREDENTIALS.token}" }, requestsPerMinute: 600 }`,
        'sources:',
        `  - { id: audit,   type: zendesk_audit_logs,    account: acme, startTime: "${new Date(Date.now() - 8 * 86_400_000).toISOString()}", initialWindow: 4d, maxWindow: 8d }`,
        `  - { id: tickets, type: zendesk_ticket_audits, account: acme, startTime: "${new Date(Date.now() - 8 * 86_400_000).toISOString()}" }`,
        `  - { id: access,  type: zendesk_access_logs,   account: acme, startTime: "${new Date(Date.now() - 8 * 86_400_000).toISOString()}", pageSize: 2500, initialWindow: 4d, maxWindow: 8d }`,
        'transforms:',
        '  - { id: ocsf, type: ocsf, inputs: [audit, tickets, access] }',
        'sinks:',
        '  - { id: archive, type: file, inputs: [ocsf], path: ./out/events.ndjson, buffer: { type: disk, maxBytes: 1GiB } }',
        '',
      ].join('\n'),
    );
  }, 300_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  const buildCommand = commands.find((c) => c === 'npm run build');
  async function buildOrFail(): Promise<void> {
    expect(buildCommand, 'the README says how to build').toBeDefined();
    const b = launch(buildCommand!, { cwd: ROOT });
    expect(await finished(b, 240_000), b.err()).toBe(0);
  }

  /** `run --config my.yaml` (follow), until its API is up and a checkpoint is committed. */
  async function startFollowing(command: string): Promise<{ proc: Proc; apiUrl: string }> {
    const proc = launch(command, { cwd: dir });
    const apiUrl = await eventually(() => /"url":"(http:\/\/[^"]+)","msg":"metrics and health endpoints listening"/.exec(proc.out())?.[1], `the API of "${command}"`, CHILD_WAIT_MS);
    await eventually(() => existsSync(join(dir, 'data/checkpoints')) && readdirSync(join(dir, 'data/checkpoints')).some((f) => f.endsWith('.json')), 'a committed checkpoint', CHILD_WAIT_MS);
    return { proc, apiUrl };
  }

  /** A dead letter as the file sink would leave one: the list, show and replay commands work on it. */
  let plantedId: string | undefined;
  function plantDeadLetter(): void {
    const event = { meta: { id: 'acme:audit_log:readme-planted-1', account: 'acme', stream: 'audit_log', time: Date.parse('2026-01-01T00:00:00Z'), schema: 'ocsf' }, body: { uid: 'readme-planted-1' } };
    mkdirSync(join(dir, 'data/dead-letter'), { recursive: true });
    const line = { time: '2026-01-01T00:00:00.000Z', component: 'archive', reason: 'http_400', detail: 'planted by the README test', kind: 'event', payload: event };
    writeFileSync(join(dir, 'data/dead-letter/2026-01-01.ndjson'), JSON.stringify(line) + '\n');
  }

  const checks: [RegExp, (command: string) => Promise<void>][] = [
    [
      /^npm start$/,
      async (command) => {
        const env = { ZSF_DEMO_DATA_DIR: join(dir, 'demo') };
        const first = launch(command, { cwd: ROOT, env });
        expect(await finished(first), first.err()).toBe(0);
        expect(first.out()).toMatch(/^ {2}sink +file +6,500 events/m);
        // "Run it twice: the second run resumes from its checkpoints and sends nothing again."
        const second = launch(command, { cwd: ROOT, env });
        expect(await finished(second), second.err()).toBe(0);
        expect(second.out()).toMatch(/^ {2}sink +file +0 events/m);
      },
    ],
    [
      /^npm run build$/,
      async () => {
        // Run in beforeAll when needed (the commands below use its output); here: it produced the CLI.
        expect(readFileSync(join(ROOT, 'dist/src/cli/main.js'), 'utf8')).toContain('#!/usr/bin/env node');
      },
    ],
    [
      / validate --config my\.yaml$/,
      async (command) => {
        const p = launch(command, { cwd: dir });
        expect(await finished(p), p.err()).toBe(0);
        expect(p.out().trim()).toBe('my.yaml: OK (3 sources, 1 transforms, 1 sinks)');
      },
    ],
    [
      / run --config my\.yaml$/,
      async (command) => {
        const { proc } = await startFollowing(command);
        proc.child.kill('SIGTERM');
        expect(await finished(proc), proc.err()).toBe(0);
        expect(proc.out()).toContain('"msg":"pipeline stopped"');
      },
    ],
    [
      / run --config my\.yaml --once$/,
      async (command) => {
        const p = launch(command, { cwd: dir });
        expect(await finished(p), p.err()).toBe(0);
        expect(p.err()).toMatch(/^done in \d+\.\ds$/m);
        expect(p.err()).toMatch(/^ {2}sink +archive +[\d,]+ events/m);
      },
    ],
    [
      / checkpoints list --config my\.yaml$/,
      async (command) => {
        const p = launch(command, { cwd: dir });
        expect(await finished(p), p.err()).toBe(0);
        expect(p.out()).toMatch(/^audit: reached \d{4}-/m);
      },
    ],
    [
      / checkpoints reset audit --config my\.yaml$/,
      async (command) => {
        const p = launch(command, { cwd: dir });
        expect(await finished(p), p.err()).toBe(0);
        expect(p.out()).toMatch(/^checkpoint of audit moved to .*audit\.json\.reset-/m);
      },
    ],
    [
      / config schema > zsf\.schema\.json$/,
      async (command) => {
        const p = launch(command, { cwd: dir });
        expect(await finished(p), p.err()).toBe(0);
        const schema = JSON.parse(readFileSync(join(dir, 'zsf.schema.json'), 'utf8')) as { $schema: string; properties: Record<string, unknown> };
        expect(schema.$schema).toContain('json-schema.org');
        expect(Object.keys(schema.properties)).toContain('sources');
      },
    ],
    [
      / top --url http:\/\/127\.0\.0\.1:9464$/,
      async (command) => {
        const running = await startFollowing(commands.find((c) => / run --config my\.yaml$/.test(c))!);
        const top = launch(command.replace('http://127.0.0.1:9464', running.apiUrl), { cwd: dir });
        await eventually(() => /\bsink=archive events=/.test(top.out()), 'a sink line from top', CHILD_WAIT_MS);
        top.child.kill('SIGTERM');
        expect(await finished(top), top.err()).toBe(0);
        running.proc.child.kill('SIGTERM');
        expect(await finished(running.proc), running.proc.err()).toBe(0);
      },
    ],
    [
      / dead-letters list --config my\.yaml$/,
      async (command) => {
        plantDeadLetter();
        const p = launch(command, { cwd: dir });
        expect(await finished(p), p.err()).toBe(0);
        plantedId = /^([0-9a-f]{12}) {2}\S+ {2}archive {2}http_400 {2}event {2}pending/m.exec(p.out())?.[1];
        expect(plantedId, p.out()).toBeDefined();
      },
    ],
    [
      / dead-letters show 3f9c2a --config my\.yaml$/,
      async (command) => {
        expect(plantedId, 'list ran first').toBeDefined();
        const p = launch(command.replace('3f9c2a', plantedId!.slice(0, 6)), { cwd: dir });
        expect(await finished(p), p.err()).toBe(0);
        expect(JSON.parse(p.out())).toMatchObject({ id: plantedId, entry: { component: 'archive', reason: 'http_400', kind: 'event' } });
      },
    ],
    [
      / dead-letters replay --config my\.yaml$/,
      async (command) => {
        expect(plantedId, 'list ran first').toBeDefined();
        const p = launch(command, { cwd: dir });
        expect(await finished(p), p.err()).toBe(0);
        expect(p.out()).toMatch(new RegExp(`^${plantedId}  delivered`, 'm'));
        expect(readFileSync(join(dir, 'out/events.ndjson'), 'utf8')).toContain('readme-planted-1');
      },
    ],
    [
      / simulate --port 8089 --seed 1$/,
      async () => {
        // Started in beforeAll; every command above ran against it.
        simulator.child.kill('SIGTERM');
        expect(await finished(simulator)).toBe(0);
        expect(Number(/stopped after (\d+) requests/.exec(simulator.out())?.[1])).toBeGreaterThan(0);
      },
    ],
  ];

  it('finds the commands (quick start and CLI list)', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
    expect(commands).toContain('npm start');
    expect(commands.filter((c) => c.startsWith('node dist/src/cli/main.js ')).length).toBeGreaterThanOrEqual(8);
  });

  for (const command of commands) {
    if (SKIPPED.has(command)) continue;
    it(command, async () => {
      const check = checks.find(([re]) => re.test(command))?.[1];
      if (check) return check(command);
      // A command this test does not know yet: it must at least work.
      const p = launch(command, { cwd: dir });
      expect(await finished(p, 60_000), p.err()).toBe(0);
    }, 300_000);
  }
});

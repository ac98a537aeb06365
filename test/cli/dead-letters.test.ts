// `zsf dead-letters list|show|replay` as real processes against a Splunk HEC receiver:
// `zsf run --once` with a wrong index gets every event rejected (HEC code 7) and
// dead-lettered; the config is fixed; `replay` delivers them, `list` shows them replayed, a
// second replay sends nothing; filters select exactly; a corrupt line is reported.
// Each child process costs seconds on a shared machine, so the commands that need no process
// of their own run in-process through the same functions the CLI calls.

import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { listCommand, replayCommand, showCommand, toFilter, type Output } from '../../src/cli/dead-letters.js';
import { loadConfigFile } from '../../src/app/config.js';
import { DeadLetterStore } from '../../src/core/dead-letter.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { startHecReceiver, type HecReceiver } from '../receivers/hec.js';
import { spawnZsf } from '../support/child-process.js';
import { tempDir } from '../support/probe.js';

const TOKEN = 'cli-dead-letters-hec-token-7731';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function zsf(args: string[], env: Record<string, string> = {}, onSpawn?: (kill: (sig: NodeJS.Signals) => void) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { child, closed } = spawnZsf(args, { env });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  onSpawn?.((sig) => child.kill(sig));
  return closed.finally(() => clearTimeout(timer));
}

function writeConfig(dir: string, hec: HecReceiver, index: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    [
      'dataDir: ./data',
      'api: { enabled: false }',
      'log: { level: warn }',
      'sources:',
      '  - { id: gen, type: generator, account: acme, count: 30, batchSize: 10 }',
      'transforms:',
      '  - { id: ocsf, type: ocsf, inputs: [gen] }',
      'sinks:',
      `  - { id: splunk, type: splunk_hec, inputs: [ocsf], endpoint: "${hec.url}", token: "\${HEC_TOKEN}", index: ${index}, healthcheck: { enabled: false }, retry: { initialBackoff: 1ms, maxBackoff: 5ms } }`,
      '  - { id: archive, type: file, inputs: [gen], path: ./archive.ndjson }',
      '',
    ].join('\n'),
  );
  return file;
}

interface Listed {
  id: string;
  component: string;
  reason: string;
  kind: string;
  state: string;
  time: string;
}
const parseList = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Listed);

/** A log destination that discards (the replay's own logs are not under test here). */
function captureSilently() {
  return new Writable({ write: (_c, _e, cb) => cb() });
}

function capture(): Output & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', out: (l: string) => void (o.stdout += l + '\n'), err: (l: string) => void (o.stderr += l + '\n') };
  return o;
}

describe('zsf dead-letters', () => {
  it('lists, shows and replays HEC rejections once the index is fixed; a second replay sends nothing', async () => {
    const hec = await startHecReceiver({ tokens: [TOKEN], allowedIndexes: ['main'] });
    cleanups.push(() => hec.close());
    const dir = tempDir('zsf-cli-dl-');
    const env = { HEC_TOKEN: TOKEN };

    const run = await zsf(['run', '--once', '-c', writeConfig(dir, hec, 'wrong')], env);
    expect(run.code).toBe(0);
    expect(hec.indexed).toHaveLength(0);

    const listed = await zsf(['dead-letters', 'list', '-c', join(dir, 'config.yaml'), '--json'], env);
    expect(listed.code).toBe(0);
    const letters = parseList(listed.stdout);
    expect(letters).toHaveLength(30);
    expect(letters.every((l) => l.component === 'splunk' && l.reason === 'rejected' && l.kind === 'event' && l.state === 'pending')).toBe(true);
    expect(new Set(letters.map((l) => l.id)).size).toBe(30);
    const times = letters.map((l) => Date.parse(l.time));
    expect([...times].sort((x, y) => x - y)).toEqual(times); // newest last

    const text = capture();
    expect(await listCommand(loadConfigFile(join(dir, 'config.yaml'), env), {}, {}, text)).toBe(0);
    expect(text.stdout.split('\n').filter(Boolean)).toHaveLength(30);
    expect(text.stdout).toContain(`${letters[0]!.id}  ${letters[0]!.time}  splunk  rejected  event  pending  HEC HTTP 400 code 7: Incorrect index`);
    expect(text.stderr).toContain('30 dead letters (30 pending replay)');

    const shown = capture();
    expect(await showCommand(loadConfigFile(join(dir, 'config.yaml'), env), letters[5]!.id.slice(0, 8), shown)).toBe(0);
    const entry = JSON.parse(shown.stdout) as { id: string; state: string; entry: { component: string; detail: string; payload: { meta: { schema: string }; body: { class_uid: number } } } };
    expect(entry).toMatchObject({ id: letters[5]!.id, state: 'pending', entry: { component: 'splunk', detail: expect.stringContaining('Incorrect index') } });
    expect(entry.entry.payload.meta.schema).toBe('ocsf');
    expect(typeof entry.entry.payload.body.class_uid).toBe('number');
    expect(shown.stdout).not.toContain(TOKEN);

    // Fix the index, then replay: first a dry run, then for real.
    writeConfig(dir, hec, 'main');
    const dry = capture();
    expect(await replayCommand(loadConfigFile(join(dir, 'config.yaml'), env), { dryRun: true }, dry)).toBe(0);
    expect(dry.stdout.split('\n').filter((l) => l.startsWith('would send '))).toHaveLength(30);
    expect(hec.indexed).toHaveLength(0);

    const replay = await zsf(['dead-letters', 'replay', '-c', join(dir, 'config.yaml')], env);
    expect(replay.stderr).toContain('replayed 30: 30 delivered');
    expect(replay.code).toBe(0);
    expect(hec.indexed).toHaveLength(30);
    expect(hec.indexed.every((e) => e.index === 'main')).toBe(true);
    const uids = hec.indexed.map((e) => (e.event as { metadata: { uid: string } }).metadata.uid).sort();
    expect(uids).toEqual(Array.from({ length: 30 }, (_, i) => `acme:audit_log:${i}`).sort());
    // The file sink (fed by the source) has the 30 records of the first run only: replay
    // re-entered at the HEC sink, not at the source.
    expect(readFileSync(join(dir, 'archive.ndjson'), 'utf8').split('\n').filter(Boolean)).toHaveLength(30);

    const listedAfter = capture();
    await listCommand(loadConfigFile(join(dir, 'config.yaml'), env), {}, { json: true }, listedAfter);
    const after = parseList(listedAfter.stdout);
    expect(after.map((l) => [l.id, l.state])).toEqual(letters.map((l) => [l.id, 'replayed']));

    const second = await zsf(['dead-letters', 'replay', '-c', join(dir, 'config.yaml')], env);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('skipped: 30 replayed');
    expect(hec.indexed).toHaveLength(30);
  }, 120_000);

  it('filters select exactly; a corrupt line is reported, not fatal; a bad --since is a usage error', async () => {
    const dir = tempDir('zsf-cli-dl-');
    const dl = join(dir, 'data', 'dead-letter');
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      ['dataDir: ./data', 'api: { enabled: false }', 'sources:', '  - { id: gen, type: generator, count: 1 }', 'transforms:', '  - { id: ocsf, type: ocsf, inputs: [gen] }', 'sinks:', '  - { id: out, type: file, inputs: [ocsf], path: ./out.ndjson }', ''].join('\n'),
    );
    const ev = (id: number) => ({ meta: { id: `acme:audit_log:${id}`, account: 'acme', stream: 'audit_log', time: 0, schema: 'ocsf' }, body: { id } });
    const line = (time: string, component: string, reason: string, kind: string, payload: unknown) => JSON.stringify({ time, component, reason, detail: 'd', kind, payload }) + '\n';
    mkdirSync(dl, { recursive: true });
    appendFileSync(join(dl, '2026-11-28.ndjson'), line('2026-11-28T10:00:00.000Z', 'ocsf', 'transform_failed', 'event', ev(1)));
    appendFileSync(join(dl, '2026-11-29.ndjson'), line('2026-11-29T10:00:00.000Z', 'out', 'rejected', 'event', ev(2)) + '{"time": "2026-11-29T11:00:00.000Z", broken\n');
    appendFileSync(join(dl, '2026-11-29.ndjson'), line('2026-11-29T12:00:00.000Z', 'gen', 'malformed_page', 'page', '{"audit_logs":'));
    appendFileSync(join(dl, '2026-11-30.ndjson'), line('2026-11-30T10:00:00.000Z', 'out', 'too_large', 'event', ev(3)));

    const loaded = loadConfigFile(config);
    const list = async (f: Parameters<typeof toFilter>[0]) => {
      const o = capture();
      expect(await listCommand(loaded, toFilter(f), { json: true }, o)).toBe(0);
      return parseList(o.stdout).map((l) => `${l.component}/${l.reason}`);
    };
    const all = await zsf(['dead-letters', 'list', '-c', config, '--json']);
    expect(all.code).toBe(0);
    expect(all.stderr).toContain('corrupt dead-letter line 2026-11-29.ndjson:2: not JSON');
    expect(parseList(all.stdout).map((l) => [l.component, l.state])).toEqual([
      ['ocsf', 'pending'],
      ['out', 'pending'],
      ['gen', 'not_replayable'],
      ['out', 'pending'],
    ]);
    expect(await list({ component: ['out'] })).toEqual(['out/rejected', 'out/too_large']);
    expect(await list({ reason: ['transform_failed', 'too_large'] })).toEqual(['ocsf/transform_failed', 'out/too_large']);
    expect(await list({ since: '2026-11-29', until: '2026-11-29T12:00:00Z' })).toEqual(['out/rejected']);
    expect(await list({ component: ['out'], since: '2026-11-30T00:00:00Z' })).toEqual(['out/too_large']);

    const dry = capture();
    expect(await replayCommand(loaded, { dryRun: true, filter: toFilter({ component: ['out', 'gen'] }) }, dry)).toBe(0);
    expect(dry.stdout.split('\n').filter(Boolean).map((l) => l.split('  ')[0]!.split(' ')[0])).toEqual(['would', 'would', 'skip']);
    expect(dry.stdout).toContain('not_replayable: a raw upstream page');

    await expect(showCommand(loaded, 'ffffffffffff', capture())).rejects.toThrow('no dead letter with id "ffffffffffff"');
    // Options are parsed by commander in the real CLI: a repeated --component, a comma list, a bad time.
    const repeated = await zsf(['dead-letters', 'list', '-c', config, '--json', '--component', 'out', '--component', 'ocsf', '--reason', 'rejected,transform_failed']);
    expect(parseList(repeated.stdout).map((l) => l.component)).toEqual(['ocsf', 'out']);
    const bad = await zsf(['dead-letters', 'list', '-c', config, '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid time "yesterday"');
  }, 120_000);

  it('SIGTERM during a replay: what was delivered is marked, the letter in flight stays pending and goes next time', async () => {
    const hec = await startHecReceiver({ tokens: [TOKEN] });
    cleanups.push(() => hec.close());
    const dir = tempDir('zsf-cli-dl-');
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'dataDir: ./data',
        'api: { enabled: false }',
        'shutdownTimeout: 1s',
        'sources:',
        '  - { id: gen, type: generator, count: 0 }',
        'sinks:',
        // One event per request, two in flight: the hung request holds exactly one letter.
        `  - { id: splunk, type: splunk_hec, inputs: [gen], endpoint: "${hec.url}", token: "\${HEC_TOKEN}", healthcheck: { enabled: false }, batch: { maxEvents: 1 }, concurrency: 2, requestTimeout: 60s }`,
        '',
      ].join('\n'),
    );
    const store = new DeadLetterStore(join(dir, 'data'), createMetrics({ defaultMetrics: false }), new Secrets());
    for (let i = 0; i < 20; i++) {
      await store.write({ component: 'splunk', reason: 'rejected', detail: 'HEC HTTP 400', kind: 'event', payload: { meta: { id: `acme:audit_log:${i}`, account: 'acme', stream: 'audit_log', time: 0, schema: 'raw' }, body: { n: i } } });
    }
    await store.close();
    hec.failNext(1, { status: 0, hang: true });

    const env = { HEC_TOKEN: TOKEN };
    const replay = await zsf(['dead-letters', 'replay', '-c', config], env, (kill) => {
      void hec.waitFor(() => hec.faultsServed === 1 && hec.indexed.length === 19, 30_000, '19 delivered and 1 hanging').then(() => kill('SIGTERM'));
    });
    expect(replay.code).toBe(1);
    const outcomes = replay.stdout.split('\n').filter(Boolean).map((l) => l.split('  ')[1]);
    expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(19);
    expect(outcomes.filter((o) => o === 'not_delivered')).toHaveLength(1);
    expect(replay.stderr).toContain('1 not delivered (left pending)');

    const listed = capture();
    await listCommand(loadConfigFile(config, env), {}, { json: true }, listed);
    const states = parseList(listed.stdout).map((l) => l.state);
    expect(states.filter((st) => st === 'replayed')).toHaveLength(19);
    expect(states.filter((st) => st === 'pending')).toHaveLength(1);

    const again = capture();
    expect(await replayCommand(loadConfigFile(config, env), { logDestination: captureSilently() }, again)).toBe(0);
    expect(again.stderr).toContain('replayed 1: 1 delivered');
    expect(hec.indexed.map((e) => (e.event as { n: number }).n).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  }, 120_000);
});

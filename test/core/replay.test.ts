// Dead-letter replay in-process: real dead letters from a failing transform and a rejecting
// sink, the cause fixed in the config, then `replay`: the events arrive where they should
// (and nowhere else), the letters are marked, a second replay sends nothing, a letter that
// fails again is dead-lettered again and stands in for the old one, and one a sink cannot
// take (auth) stays pending. Plus the reader: stable ids, filters, corrupt lines.

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { transformPlugins } from '../../transforms/index.js';
import { defineTransform } from '../../src/core/plugin.js';
import { loadConfigObject, type LoadedConfig } from '../../src/app/config.js';
import { findLetter, letterId, letterStates, matchesFilter, parseTimeArg, readDeadLetters, readReplayMarks, type DeadLetter } from '../../src/core/dead-letter-reader.js';
import { DeadLetterStore } from '../../src/core/dead-letter.js';
import { startPipeline } from '../../src/app/start.js';
import { replayDeadLetters, type ReplayOptions } from '../../src/app/replay.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { captureLogs, probe, tempDir } from '../support/probe.js';
import { fastSleep } from '../support/fast-sleep.js';

/** A mapping that rejects the listed record ids: "fixing the mapping" is changing the list. */
if (!transformPlugins.some((p) => p.type === 'reject_ids'))
  transformPlugins.push(
    defineTransform({
      type: 'reject_ids',
      description: 'test transform',
      options: { reject: z.array(z.number()).default([]) },
      create: (c) => (e) => {
        if (c.reject.includes(Number(e.body.id))) throw new Error(`cannot map record ${String(e.body.id)}: missing field`);
        return { meta: { ...e.meta, schema: 'raw' }, body: { ...e.body, mapped: true } };
      },
    }),
  );

const fast = { retry: { initialBackoff: '1ms', maxBackoff: '5ms', authBackoff: '1ms' } };
const shortSleep = fastSleep({ capMs: 5 });

/** generator -> map (probe_transform) -> sink a; generator -> sink b (raw). */
function config(dataDir: string, o: { reject?: number[]; probeA?: string; probeB?: string } = {}): LoadedConfig {
  return loadConfigObject({
    dataDir,
    api: { enabled: false },
    shutdownTimeout: '5s',
    sources: [{ id: 'gen', type: 'generator', account: 'acme', count: 60, batchSize: 20 }],
    transforms: [{ id: 'map', type: 'reject_ids', inputs: ['gen'], reject: o.reject ?? [] }],
    sinks: [
      { id: 'a', type: 'probe', probe: o.probeA ?? 'unused-a', inputs: ['map'], ...fast },
      { id: 'b', type: 'probe', probe: o.probeB ?? 'unused-b', inputs: ['gen'], ...fast },
    ],
  });
}

async function runOnce(loaded: LoadedConfig): Promise<void> {
  const p = await startPipeline(loaded, { once: true, logDestination: captureLogs().stream, sleep: shortSleep });
  expect((await p.done).ok).toBe(true);
}

function replay(loaded: LoadedConfig, opts: ReplayOptions = {}) {
  return replayDeadLetters(loaded, { logDestination: captureLogs().stream, sleep: shortSleep, ...opts });
}

async function states(loaded: LoadedConfig) {
  const dir = join(loaded.config.dataDir, 'dead-letter');
  const { letters } = await readDeadLetters(dir);
  const { marks } = await readReplayMarks(dir);
  const s = letterStates(letters, marks, loaded.graph);
  return letters.map((l) => ({ letter: l, ...s.get(l.id)! }));
}

const bodyId = (l: DeadLetter) => (l.payload as { body: { id: number } }).body.id;
const ids = (events: { body: Record<string, unknown> }[]) => events.map((e) => Number(e.body.id)).sort((x, y) => x - y);

describe('dead-letter replay', () => {
  it('refuses to run beside an instance on the same dataDir (the dataDir lock), sends nothing and marks nothing', async () => {
    const dataDir = tempDir('zsf-replay-lock-');
    probe('rpl-a');
    probe('rpl-b');
    await runOnce(config(dataDir, { reject: [0], probeA: 'rpl-a', probeB: 'rpl-b' }));
    const running = await startPipeline(config(dataDir, { probeA: 'rpl-a', probeB: 'rpl-b' }), { logDestination: captureLogs().stream, sleep: shortSleep });
    try {
      const a = probe('rpl-a2');
      await expect(replay(config(dataDir, { probeA: 'rpl-a2', probeB: 'rpl-b' }))).rejects.toThrow(/locked by pid \d+/);
      expect(a.calls).toHaveLength(0);
      expect((await states(config(dataDir))).map((s) => s.state)).toEqual(['pending']);
    } finally {
      await running.stop();
    }
  });

  it('replays transform failures through the fixed transform; marks them; a second replay sends nothing; checkpoints untouched', async () => {
    const dataDir = tempDir('zsf-replay-');
    const first = probe('rp1-a');
    probe('rp1-b');
    await runOnce(config(dataDir, { reject: [0, 20, 40], probeA: 'rp1-a', probeB: 'rp1-b' }));
    expect(first.accepted).toHaveLength(57);
    const before = await states(config(dataDir));
    expect(before.map((s) => [s.letter.component, s.letter.reason, s.letter.kind, s.state, bodyId(s.letter)])).toEqual([
      ['map', 'transform_failed', 'event', 'pending', 0],
      ['map', 'transform_failed', 'event', 'pending', 20],
      ['map', 'transform_failed', 'event', 'pending', 40],
    ]);
    const checkpoint = readFileSync(join(dataDir, 'checkpoints', 'gen.json'), 'utf8');

    // The mapping is fixed: replay.
    const a = probe('rp1-a2');
    const b = probe('rp1-b2');
    const fixed = config(dataDir, { probeA: 'rp1-a2', probeB: 'rp1-b2' });
    const report = await replay(fixed);
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => r.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(ids(a.accepted)).toEqual([0, 20, 40]);
    expect(a.accepted.every((e) => e.body.mapped === true && e.meta.id === `acme:audit_log:${String(e.body.id)}`)).toBe(true);
    expect(b.calls).toHaveLength(0); // the raw sink already had them: it is not downstream of the transform
    expect((await states(fixed)).map((s) => s.state)).toEqual(['replayed', 'replayed', 'replayed']);
    expect(readFileSync(join(dataDir, 'checkpoints', 'gen.json'), 'utf8')).toBe(checkpoint);

    const callsBefore = a.calls.length;
    const again = await replay(fixed);
    expect(again.planned).toHaveLength(0);
    expect(again.skipped.map((s) => s.status.state)).toEqual(['replayed', 'replayed', 'replayed']);
    expect(a.calls).toHaveLength(callsBefore);
    // --again sends them once more.
    const forced = await replay(fixed, { again: true, filter: { since: 0 } });
    expect(forced.results).toHaveLength(3);
    expect(ids(a.accepted)).toEqual([0, 0, 20, 20, 40, 40]);
  });

  it('replays sink rejections to that sink only; one that fails again is dead-lettered again and stands for the old one', async () => {
    const dataDir = tempDir('zsf-replay-');
    probe('rp2-a');
    // Sink b rejects ids divisible by 7 (permanent: dead-lettered with the destination's text).
    probe('rp2-b', (events) => {
      const rejected = events.flatMap((e, index) => (Number(e.body.id) % 7 === 0 ? [{ index, reason: `HTTP 400: bad event ${String(e.body.id)}` }] : []));
      return rejected.length ? { kind: 'partial', rejected } : { kind: 'ok' };
    });
    await runOnce(config(dataDir, { probeA: 'rp2-a', probeB: 'rp2-b' }));
    const dead = (await states(config(dataDir))).map((s) => s.letter);
    expect(dead.map((l) => [l.component, l.reason, bodyId(l)])).toEqual([0, 7, 14, 21, 28, 35, 42, 49, 56].map((i) => ['b', 'rejected', i]));

    // Partly fixed: the destination now takes everything but id 14.
    const a = probe('rp2-a2');
    const b = probe('rp2-b2', (events) => {
      const rejected = events.flatMap((e, index) => (e.body.id === 14 ? [{ index, reason: 'HTTP 400: still bad' }] : []));
      return rejected.length ? { kind: 'partial', rejected } : { kind: 'ok' };
    });
    const loaded = config(dataDir, { probeA: 'rp2-a2', probeB: 'rp2-b2' });
    const r1 = await replay(loaded);
    expect(r1.ok).toBe(false);
    expect(r1.results.filter((r) => r.outcome === 'failed')).toEqual([{ id: dead[2]!.id, outcome: 'failed', detail: 'b: rejected (HTTP 400: still bad)' }]);
    expect(a.calls).toHaveLength(0); // re-entered at sink b, not at the source
    expect(ids(b.accepted)).toEqual([0, 7, 21, 28, 35, 42, 49, 56]);
    expect(b.accepted.every((e) => e.meta.schema === 'zendesk')).toBe(true);

    const after = await states(loaded);
    const newer = after.find((s) => s.letter.context?.replayOf === dead[2]!.id)!;
    expect(newer).toMatchObject({ state: 'pending', letter: { component: 'b', reason: 'rejected', detail: 'HTTP 400: still bad' } });
    expect(after.find((s) => s.letter.id === dead[2]!.id)).toMatchObject({ state: 'failed', supersededBy: [newer.letter.id] });
    expect(after.filter((s) => s.state === 'replayed')).toHaveLength(8);

    // Fixed for good: only the newer letter is sent, once.
    const b3 = probe('rp2-b3');
    const fixed = config(dataDir, { probeA: 'rp2-a2', probeB: 'rp2-b3' });
    const r2 = await replay(fixed);
    expect(r2.results).toEqual([{ id: newer.letter.id, outcome: 'delivered' }]);
    expect(ids(b3.accepted)).toEqual([14]);
    expect((await replay(fixed)).planned).toHaveLength(0);
  });

  it('a transform that still rejects a letter: dead-lettered again at the transform, old letter failed, the rest delivered', async () => {
    const dataDir = tempDir('zsf-replay-');
    probe('rp5-a');
    probe('rp5-b');
    await runOnce(config(dataDir, { reject: [3, 4, 5], probeA: 'rp5-a', probeB: 'rp5-b' }));
    const old = (await states(config(dataDir))).map((s) => s.letter);
    const a = probe('rp5-a2');
    const loaded = config(dataDir, { reject: [4], probeA: 'rp5-a2', probeB: 'rp5-b' });
    const r = await replay(loaded);
    expect(r.results.map((x) => [bodyId(old.find((l) => l.id === x.id)!), x.outcome])).toEqual([
      [3, 'delivered'],
      [4, 'failed'],
      [5, 'delivered'],
    ]);
    expect(ids(a.accepted)).toEqual([3, 5]);
    const after = await states(loaded);
    const newer = after.filter((s) => s.letter.context?.replayOf !== undefined);
    expect(newer.map((s) => [s.letter.component, s.letter.reason, bodyId(s.letter), s.letter.context?.replayOf, s.state])).toEqual([['map', 'transform_failed', 4, old[1]!.id, 'pending']]);
    expect(after.find((s) => s.letter.id === old[1]!.id)!.state).toBe('failed');
  });

  it('leaves a letter pending when its sink cannot take it (auth), and does not mark it', async () => {
    const dataDir = tempDir('zsf-replay-');
    probe('rp3-a', () => ({ kind: 'permanent', reason: 'HTTP 400: nope' }));
    probe('rp3-b');
    await runOnce(config(dataDir, { probeA: 'rp3-a', probeB: 'rp3-b' }));
    expect(await states(config(dataDir))).toHaveLength(60);
    const denied = probe('rp3-a2', () => ({ kind: 'auth', reason: 'HTTP 403: token revoked' }));
    const loaded = config(dataDir, { probeA: 'rp3-a2', probeB: 'rp3-b' });
    const r = await replay(loaded, { filter: { component: ['a'] } });
    expect(r.ok).toBe(false);
    expect(denied.calls.length).toBeGreaterThan(0);
    expect(new Set(r.results.map((x) => x.outcome))).toEqual(new Set(['not_delivered']));
    expect(r.pipeline?.failures).toEqual([{ component: 'a', reason: expect.stringContaining('token revoked') }]);
    expect((await states(loaded)).every((s) => s.state === 'pending')).toBe(true);
    expect((await readReplayMarks(join(dataDir, 'dead-letter'))).marks.size).toBe(0);
  });

  it('a record letter re-enters downstream of its source: every transform runs again', async () => {
    const dataDir = tempDir('zsf-replay-');
    // A record the source could not use, written by the real dead-letter writer.
    const store = new DeadLetterStore(dataDir, createMetrics({ defaultMetrics: false }), new Secrets());
    await store.write({ component: 'gen', reason: 'invalid_record', detail: 'record without a usable id or time', kind: 'record', payload: { id: 901, created_at: '2026-03-01T10:00:00Z', action: 'login' }, context: { url: '/api/v2/audit_logs' } });
    await store.close();
    const a = probe('rp4-a');
    const b = probe('rp4-b');
    const loaded = config(dataDir, { probeA: 'rp4-a', probeB: 'rp4-b' });
    const dry = await replay(loaded, { dryRun: true });
    expect(dry.planned.map((p) => [p.letter.kind, p.at])).toEqual([['record', 'gen']]);
    expect(a.calls).toHaveLength(0);
    const r = await replay(loaded);
    expect(r.results.map((x) => x.outcome)).toEqual(['delivered']);
    expect(a.accepted.map((e) => [e.meta.id, e.meta.time, e.body.mapped])).toEqual([['acme:audit_log:901', Date.parse('2026-03-01T10:00:00Z'), true]]);
    expect(b.accepted.map((e) => e.meta.id)).toEqual(['acme:audit_log:901']);
  });
});

describe('dead-letter reader', () => {
  async function threeLetters() {
    const dataDir = tempDir('zsf-reader-');
    let now = Date.parse('2026-11-29T23:59:00Z');
    const store = new DeadLetterStore(dataDir, createMetrics({ defaultMetrics: false }), new Secrets(), () => now);
    const ev = (id: number) => ({ meta: { id: `acme:audit_log:${id}`, account: 'acme', stream: 'audit_log', time: 0, schema: 'zendesk' }, body: { id } });
    await store.write({ component: 'map', reason: 'transform_failed', detail: 'x', kind: 'event', payload: ev(1) });
    now = Date.parse('2026-11-30T08:00:00Z');
    await store.write({ component: 'b', reason: 'rejected', detail: 'HTTP 400', kind: 'event', payload: ev(2) });
    now = Date.parse('2026-11-30T12:00:00Z');
    await store.write({ component: 'gen', reason: 'malformed_page', detail: 'not JSON', kind: 'page', payload: '{"audit_logs": [' });
    await store.close();
    return dataDir;
  }

  it('gives stable ids, filters exactly, says why a page cannot be replayed, and reports corrupt lines without stopping', async () => {
    const dataDir = await threeLetters();
    const dir = join(dataDir, 'dead-letter');
    const { letters, corrupt } = await readDeadLetters(dir);
    expect(corrupt).toEqual([]);
    expect(letters.map((l) => [l.file, l.line, l.component])).toEqual([
      ['2026-11-29.ndjson', 1, 'map'],
      ['2026-11-30.ndjson', 1, 'b'],
      ['2026-11-30.ndjson', 2, 'gen'],
    ]);
    expect((await readDeadLetters(dir)).letters.map((l) => l.id)).toEqual(letters.map((l) => l.id));
    expect(new Set(letters.map((l) => l.id)).size).toBe(3);
    expect(findLetter(letters, letters[1]!.id.slice(0, 6)).component).toBe('b');
    expect(() => findLetter(letters, 'ffffffffffff')).toThrow(/no dead letter/);

    const pick = (f: Parameters<typeof matchesFilter>[1]) => letters.filter((l) => matchesFilter(l, f)).map((l) => l.component);
    expect(pick({ component: ['b', 'gen'] })).toEqual(['b', 'gen']);
    expect(pick({ reason: ['transform_failed'] })).toEqual(['map']);
    expect(pick({ since: Date.parse('2026-11-30T00:00:00Z') })).toEqual(['b', 'gen']);
    expect(pick({ until: Date.parse('2026-11-30T12:00:00Z') })).toEqual(['map', 'b']);
    expect(pick({ since: Date.parse('2026-11-30T08:00:00Z'), until: Date.parse('2026-11-30T08:00:00.001Z'), reason: ['rejected'] })).toEqual(['b']);

    const s = letterStates(letters, new Map(), config(dataDir).graph);
    expect(s.get(letters[2]!.id)).toMatchObject({ state: 'not_replayable', why: expect.stringContaining('raw upstream page') });
    expect(s.get(letters[0]!.id)!.state).toBe('pending');

    // A corrupt line in the middle and a torn last line: reported with their place; the rest is read.
    const day = join(dir, '2026-11-30.ndjson');
    const lines = readFileSync(day, 'utf8').split('\n');
    writeFileSync(day, [lines[0], 'not json at all', lines[1], ''].join('\n'));
    appendFileSync(day, '{"time":"2026-11-30T13:00:00.000Z","compo');
    const again = await readDeadLetters(dir);
    expect(again.letters.map((l) => l.id)).toEqual(letters.map((l) => l.id)); // ids survive moving lines
    expect(again.corrupt).toEqual([
      { file: '2026-11-30.ndjson', line: 2, error: expect.stringContaining('not JSON') },
      { file: '2026-11-30.ndjson', line: 4, error: expect.stringContaining('incomplete last line') },
    ]);
    // Replay goes on around them.
    const a = probe('rd-a');
    const report = await replay(config(dataDir, { probeA: 'rd-a' }), { filter: { component: ['map'] } });
    expect(report.corrupt).toHaveLength(2);
    expect(report.results.map((r) => r.outcome)).toEqual(['delivered']);
    expect(ids(a.accepted)).toEqual([1]);
  });

  it('streams lines that cross read-chunk boundaries (multi-byte text included) intact', async () => {
    const dataDir = tempDir('zsf-reader-');
    const store = new DeadLetterStore(dataDir, createMetrics({ defaultMetrics: false }), new Secrets(), () => Date.parse('2026-11-30T09:00:00Z'));
    const big = (i: number) => `${i}:` + 'Zoë Ångström 李小龙 '.repeat(9000); // ~200 KB of UTF-8 each, several 64 KiB chunks
    for (let i = 0; i < 3; i++) await store.write({ component: 'b', reason: 'rejected', kind: 'event', payload: { meta: { id: `m${i}`, schema: 'ocsf' }, body: { text: big(i) } } });
    await store.close();
    const { letters, corrupt } = await readDeadLetters(join(dataDir, 'dead-letter'));
    expect(corrupt).toEqual([]);
    expect(letters.map((l) => [l.line, (l.payload as { body: { text: string } }).body.text === big(l.line - 1)])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    const lines = readFileSync(join(dataDir, 'dead-letter', '2026-11-30.ndjson'), 'utf8').split('\n');
    expect(letters.map((l) => l.id)).toEqual(lines.slice(0, 3).map(letterId));
  });

  it('parses --since/--until as ISO 8601 or a duration ago, and refuses anything else', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(parseTimeArg('2h', now)).toBe(Date.parse('2026-11-30T10:00:00Z'));
    expect(parseTimeArg('7d', now)).toBe(Date.parse('2026-11-23T12:00:00Z'));
    expect(parseTimeArg('2026-11-30', now)).toBe(Date.parse('2026-11-30T00:00:00Z'));
    expect(parseTimeArg('2026-11-30T10:30:00+01:00', now)).toBe(Date.parse('2026-11-30T09:30:00Z'));
    expect(() => parseTimeArg('yesterday', now)).toThrow(/invalid time "yesterday"/);
    expect(() => parseTimeArg('1700000000', now)).toThrow(/invalid time/);
  });
});

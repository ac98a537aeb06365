// Hostile upstream records: absurd nesting, huge strings, broken Unicode, wrong types. Each is
// delivered or dead-lettered with its reason, the rest flows, and the checkpoint advances.
// No synchronous throw may escape a component boundary.

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DeadLetterStore } from '../../src/core/dead-letter.js';
import { startPipeline } from '../../src/app/start.js';
import { defineSource, defineTransform } from '../../src/core/plugin.js';
import { checkRecordLimits } from '../../src/core/record-limits.js';
import type { SourceRecord } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { generateRecord } from '../../src/sources/generator.js';
import { sourcePlugins } from '../../src/sources/index.js';
import { transformPlugins } from '../../transforms/index.js';
import { checkpointOf } from '../support/checkpoints.js';
import { captureLogs, probe, readDeadLetters, tempDir } from '../support/probe.js';

// ---------------------------------------------------------------- test components

/** Batches a test hands to the `scripted` source, by name. Its checkpoint is the next batch index. */
const scripts = new Map<string, SourceRecord[][]>();
if (!sourcePlugins.some((p) => p.type === 'scripted')) {
  sourcePlugins.push(
    defineSource({
      type: 'scripted',
      description: 'test source emitting the batches of a script',
      options: { script: z.string() },
      create(config) {
        return {
          async run(ctx) {
            const batches = scripts.get(config.script)!;
            let next = (ctx.checkpoint as { next?: number } | undefined)?.next ?? 0;
            for (; next < batches.length; next++) await ctx.emit({ records: batches[next]!, checkpoint: { next: next + 1 } });
          },
        };
      },
    }),
  );
}
if (!transformPlugins.some((p) => p.type === 'bigint_transform')) {
  transformPlugins.push(
    defineTransform({
      type: 'bigint_transform',
      description: 'test transform whose output for id 3 has no JSON form',
      options: {},
      create: () => (e) => (e.body.id === 3 ? { meta: e.meta, body: { ...e.body, big: 10n } } : e),
    }),
  );
}

function deep(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const good = (n: number) => generateRecord(n, 'acme', 'audit_log', Date.parse('2026-01-01T00:00:00Z'), 1);
const withRaw = (n: number, raw: unknown): SourceRecord => ({ ...good(n), raw: raw as Record<string, unknown> });

const base = (dataDir: string) => ({ dataDir, log: { level: 'warn' }, api: { enabled: false }, shutdownTimeout: '5s' });

// ---------------------------------------------------------------- tests

describe('hostile records', () => {
  it('a record 20,000 levels deep is dead-lettered (record_too_deep, truncated) before the OCSF mapper; the rest flows and the checkpoint advances', async () => {
    const dataDir = tempDir();
    scripts.set('deep', [[good(1), withRaw(2, { ...good(2).raw, nested: deep(20_000) }), good(3)], [good(4)]]);
    const pr = probe('deep');
    const raw = probe('deep-raw');
    const p = await startPipeline(
      {
        ...base(dataDir),
        sources: [{ id: 'src', type: 'scripted', script: 'deep' }],
        transforms: [
          { id: 'ocsf', type: 'ocsf', inputs: ['src'] },
          { id: 'raw', type: 'raw', inputs: ['src'] },
        ],
        sinks: [
          { id: 's', type: 'probe', probe: 'deep', inputs: ['ocsf'] },
          { id: 'r', type: 'probe', probe: 'deep-raw', inputs: ['raw'], buffer: { type: 'disk' } },
        ],
      },
      { once: true, logDestination: captureLogs().stream },
    );
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expect(pr.accepted.map((e) => e.meta.id)).toEqual(['acme:audit_log:1', 'acme:audit_log:3', 'acme:audit_log:4']);
    expect(raw.accepted.map((e) => e.meta.id)).toEqual(['acme:audit_log:1', 'acme:audit_log:3', 'acme:audit_log:4']);
    const dead = readDeadLetters(dataDir);
    expect(dead).toEqual([expect.objectContaining({ component: 'src', reason: 'record_too_deep', kind: 'record', detail: expect.stringContaining('payload truncated') })]);
    expect(JSON.stringify(dead[0]!.payload)).toContain('[truncated: too deep]');
    expect(JSON.stringify(dead[0]!.payload).length).toBeLessThan(70_000);
    expect(checkpointOf(dataDir, 'src')).toEqual({ next: 2 });
  });

  it('a 5 MB string is dead-lettered as record_too_large with a truncated payload; the others are delivered', async () => {
    const dataDir = tempDir();
    scripts.set('large', [[good(1), withRaw(2, { ...good(2).raw, change_description: 'A'.repeat(5 * 1024 * 1024) }), good(3)]]);
    const pr = probe('large');
    const p = await startPipeline(
      { ...base(dataDir), sources: [{ id: 'src', type: 'scripted', script: 'large' }], transforms: [{ id: 'raw', type: 'raw', inputs: ['src'] }], sinks: [{ id: 's', type: 'probe', probe: 'large', inputs: ['raw'], buffer: { type: 'disk' } }] },
      { once: true, logDestination: captureLogs().stream },
    );
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expect(pr.accepted.map((e) => e.meta.id)).toEqual(['acme:audit_log:1', 'acme:audit_log:3']);
    const dead = readDeadLetters(dataDir);
    expect(dead).toEqual([expect.objectContaining({ component: 'src', reason: 'record_too_large' })]);
    const line = JSON.stringify(dead[0]!.payload);
    expect(line.length).toBeLessThan(70_000);
    expect(line).toContain('truncated');
    expect(checkpointOf(dataDir, 'src')).toEqual({ next: 1 });
  });

  it('the limits are configurable: a deep record within maxRecordDepth flows through raw and a disk buffer', async () => {
    const dataDir = tempDir();
    scripts.set('deep-ok', [[withRaw(1, { ...good(1).raw, nested: deep(150) })]]);
    const pr = probe('deep-ok');
    const p = await startPipeline(
      { ...base(dataDir), limits: { maxRecordDepth: 200 }, sources: [{ id: 'src', type: 'scripted', script: 'deep-ok' }], transforms: [{ id: 'raw', type: 'raw', inputs: ['src'] }], sinks: [{ id: 's', type: 'probe', probe: 'deep-ok', inputs: ['raw'], buffer: { type: 'disk' } }] },
      { once: true, logDestination: captureLogs().stream },
    );
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expect(pr.accepted).toHaveLength(1);
    expect(readDeadLetters(dataDir)).toEqual([]);
  });

  it('strings with broken UTF-16 / non-UTF-8 bytes are delivered through a disk buffer, JSON stays valid', async () => {
    const dataDir = tempDir();
    const latin1 = Buffer.from([0xff, 0xfe, 0x41, 0xc3]).toString('latin1');
    const broken = Buffer.from([0xff, 0xfe, 0x41, 0xc3]).toString('utf8'); // replacement characters
    scripts.set('utf', [[withRaw(1, { ...good(1).raw, actor_name: 'lone \ud800 surrogate', source_label: latin1, change_description: broken })]]);
    const pr = probe('utf');
    const p = await startPipeline(
      { ...base(dataDir), sources: [{ id: 'src', type: 'scripted', script: 'utf' }], transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['src'] }], sinks: [{ id: 's', type: 'probe', probe: 'utf', inputs: ['ocsf'], buffer: { type: 'disk' } }] },
      { once: true, logDestination: captureLogs().stream },
    );
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expect(pr.accepted.length + readDeadLetters(dataDir).length).toBe(1);
    expect(pr.accepted).toHaveLength(1);
    expect(JSON.stringify(pr.accepted[0]!.body)).toContain('\\ud800');
    expect(checkpointOf(dataDir, 'src')).toEqual({ next: 1 });
  });

  it('records of the wrong shape are delivered or dead-lettered with their reason; the batch still commits', async () => {
    const dataDir = tempDir();
    const shapes: unknown[] = [null, [], 42, 'text', { id: {}, created_at: 42, action: ['x'], source_type: null }, { ...good(6).raw, created_at: 'not a date' }];
    scripts.set('types', [[good(0), ...shapes.map((raw, i) => withRaw(i + 1, raw)), good(10)]]);
    const pr = probe('types');
    const p = await startPipeline(
      { ...base(dataDir), sources: [{ id: 'src', type: 'scripted', script: 'types' }], transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['src'] }], sinks: [{ id: 's', type: 'probe', probe: 'types', inputs: ['ocsf'] }] },
      { once: true, logDestination: captureLogs().stream },
    );
    expect(await p.done).toEqual({ ok: true, failures: [] });
    const delivered = new Set(pr.accepted.map((e) => e.meta.id));
    const dead = readDeadLetters(dataDir);
    expect(delivered.has('acme:audit_log:0') && delivered.has('acme:audit_log:10')).toBe(true);
    for (const d of dead) expect(d).toMatchObject({ component: 'ocsf', reason: 'transform_failed', detail: expect.any(String) });
    const deadIds = new Set(dead.map((d) => (d.payload as { meta: { id: string } }).meta.id));
    for (let i = 0; i <= 10; i++) {
      if (i > shapes.length && i < 10) continue;
      expect(delivered.has(`acme:audit_log:${i}`) !== deadIds.has(`acme:audit_log:${i}`)).toBe(true);
    }
    expect(checkpointOf(dataDir, 'src')).toEqual({ next: 1 });
  });

  it('an event without a JSON form (bigint) is dead-lettered as unserialisable_event by its producer; no throw escapes route()', async () => {
    const dataDir = tempDir();
    scripts.set('bigint', [[good(1), good(3), good(5)]]);
    const pr = probe('bigint');
    const p = await startPipeline(
      { ...base(dataDir), sources: [{ id: 'src', type: 'scripted', script: 'bigint' }], transforms: [{ id: 'big', type: 'bigint_transform', inputs: ['src'] }], sinks: [{ id: 's', type: 'probe', probe: 'bigint', inputs: ['big'] }] },
      { once: true, logDestination: captureLogs().stream },
    );
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expect(pr.accepted.map((e) => e.meta.id)).toEqual(['acme:audit_log:1', 'acme:audit_log:5']);
    expect(readDeadLetters(dataDir)).toEqual([expect.objectContaining({ component: 'big', reason: 'unserialisable_event', payloadTruncated: true })]);
    expect(checkpointOf(dataDir, 'src')).toEqual({ next: 1 });
  });
});

describe('dead-letter serialisation never throws', () => {
  // V8 before 14 (Node 20, 24) throws a RangeError for 20,000 levels; Node 26's iterative
  // JSON.stringify serialises any depth, and then the payload is simply stored whole.
  const stringifyRefusesDeep = (() => {
    try {
      JSON.stringify(deep(20_000));
      return false;
    } catch {
      return true;
    }
  })();

  it('a payload JSON.stringify refuses (a BigInt, a cycle, 20,000 levels where the engine cannot) is stored as a bounded preview with the error, and write() does not throw synchronously', async () => {
    const dataDir = tempDir();
    const store = new DeadLetterStore(dataDir, createMetrics(), new Secrets());
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    let pending: Promise<void>[] = [];
    expect(() => {
      pending = [
        store.write({ component: 'x', reason: 'test_deep', kind: 'event', payload: deep(20_000) }),
        store.write({ component: 'x', reason: 'test_bigint', kind: 'event', payload: { n: 1n } }),
        store.write({ component: 'x', reason: 'test_cycle', kind: 'event', payload: cyclic }),
      ];
    }).not.toThrow();
    await Promise.all(pending);
    await store.close();
    const dead = readDeadLetters(dataDir) as { reason: string; payloadTruncated?: boolean; payloadError?: string; payload: unknown }[];
    expect(dead.map((d) => d.reason)).toEqual(['test_deep', 'test_bigint', 'test_cycle']);
    for (const d of stringifyRefusesDeep ? dead : dead.slice(1)) expect(d).toMatchObject({ payloadTruncated: true, payloadError: expect.any(String) });
    if (!stringifyRefusesDeep) {
      expect(dead[0]).not.toHaveProperty('payloadTruncated');
      expect(JSON.stringify(dead[0]!.payload)).toBe(JSON.stringify(deep(20_000)));
    }
    expect(dead[1]!.payload).toEqual({ n: '[bigint]' });
    expect(dead[2]!.payload).toEqual({ a: 1, self: '[cycle]' });
  });

  it('checkRecordLimits is iterative: 1,000,000 levels cost no stack', () => {
    expect(checkRecordLimits(deep(1_000_000), { maxDepth: 64, maxBytes: 1 << 30 })).toMatchObject({ reason: 'record_too_deep' });
    expect(checkRecordLimits({ ...good(1).raw }, { maxDepth: 64, maxBytes: 1 << 20 })).toBeUndefined();
  });
});

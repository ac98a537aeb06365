import { describe, expect, it } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { generateRecord } from '../../src/sources/generator.js';
import { captureLogs, probe, settle, tempDir } from '../support/probe.js';

async function recordsRead(p: Awaited<ReturnType<typeof startPipeline>>): Promise<number> {
  const m = await p.metrics.sourceRecords.get();
  return m.values.reduce((a, v) => a + v.value, 0);
}

describe('backpressure', () => {
  it('a stalled sink stops the source from fetching more, and memory stays bounded', async () => {
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    let firstCall!: () => void;
    const called = new Promise<void>((r) => (firstCall = r));
    const pr = probe('stall', async () => {
      firstCall();
      await blocked;
      return { kind: 'ok' };
    });
    const rssBefore = process.memoryUsage.rss();
    const p = await startPipeline(
      {
        dataDir: tempDir(),
        api: { enabled: false },
        log: { level: 'warn' },
        // A million ~1 KB records: without backpressure this would be ~1 GB in memory.
        sources: [{ id: 'gen', type: 'generator', count: 1_000_000, batchSize: 50 }],
        sinks: [{ id: 's', type: 'probe', probe: 'stall', inputs: ['gen'], buffer: { type: 'memory', maxEvents: 200, maxBytes: '10MiB' }, batch: { maxEvents: 100 } }],
      },
      { logDestination: captureLogs().stream },
    );
    await called;
    await settle(200);
    const stalledAt = await recordsRead(p);
    // Buffer (200, including the batch in flight) + the one batch blocked mid-push.
    expect(stalledAt).toBeLessThanOrEqual(200 + 50);
    expect(stalledAt).toBeGreaterThanOrEqual(200);
    await settle(200);
    expect(await recordsRead(p)).toBe(stalledAt);
    expect(process.memoryUsage.rss() - rssBefore).toBeLessThan(100 * 1024 * 1024);
    const gauge = (await p.metrics.bufferEvents.get()).values[0]?.value;
    expect(gauge).toBe(200);
    // The byte bound counts UTF-8 bytes of the body JSON (the records have names like 李小龙).
    const bodies = Array.from({ length: 200 }, (_, i) => JSON.stringify(generateRecord(i, 'synthetic', 'audit_log', Date.parse('2026-01-01T00:00:00Z'), 1).raw));
    const utf8 = bodies.reduce((a, b) => a + Buffer.byteLength(b), 0);
    expect(utf8).toBeGreaterThan(bodies.reduce((a, b) => a + b.length, 0));
    expect((await p.metrics.bufferBytes.get()).values[0]?.value).toBe(utf8);
    unblock();
    // Released: the source moves again.
    while ((await recordsRead(p)) < stalledAt + 500) await settle(10);
    await p.stop();
    expect(pr.accepted.length).toBeGreaterThan(0);
  });

  it('with whenFull: drop_newest the source is not slowed and every drop is counted', async () => {
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    probe('stall-drop', async () => {
      await blocked;
      return { kind: 'ok' };
    });
    const p = await startPipeline(
      {
        dataDir: tempDir(),
        api: { enabled: false },
        log: { level: 'warn' },
        sources: [{ id: 'gen', type: 'generator', count: 2000, batchSize: 50 }],
        sinks: [{ id: 's', type: 'probe', probe: 'stall-drop', inputs: ['gen'], buffer: { type: 'memory', maxEvents: 100, whenFull: 'drop_newest' }, batch: { maxEvents: 100 } }],
      },
      { logDestination: captureLogs().stream },
    );
    while ((await recordsRead(p)) < 2000) await settle(10);
    const dropped = (await p.metrics.eventsDropped.get()).values[0]?.value;
    expect(dropped).toBe(1900);
    unblock();
    await p.stop();
  });
});

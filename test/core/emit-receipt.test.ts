// The commit signal: `emit` hands back a receipt whose `durable` resolves once every event of
// the batch would survive a crash (fsynced in a disk buffer, delivered from a memory buffer)
// and whose `committed` resolves once a checkpoint at or past the batch is written.

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OrderedCommitter, ReceiptAbandonedError } from '../../src/core/acks.js';
import { startPipeline } from '../../src/app/start.js';
import { defineSource } from '../../src/core/plugin.js';
import type { EmitReceipt, SourceBatch } from '../../src/core/types.js';
import { sourcePlugins } from '../../src/sources/index.js';
import { eventually } from '../support/eventually.js';
import { captureLogs, probe, settle, tempDir } from '../support/probe.js';

/** A source the test drives: `send(batch)` emits it and returns the receipt. */
interface Driven {
  send(batch: SourceBatch): Promise<EmitReceipt>;
}
const driven = new Map<string, (d: Driven) => void>();

const drivenSource = defineSource({
  type: 'driven_probe',
  description: 'test source emitting what the test hands it',
  options: { name: z.string() },
  create(config) {
    return {
      async run(ctx) {
        driven.get(config.name)?.({ send: (batch) => ctx.emit(batch) });
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      },
    };
  },
});
if (!sourcePlugins.some((p) => p.type === 'driven_probe')) sourcePlugins.push(drivenSource);

function connect(name: string): Promise<Driven> {
  return new Promise((resolve) => driven.set(name, resolve));
}

function batch(ids: number[], checkpoint: unknown): SourceBatch {
  return { records: ids.map((id) => ({ account: 'acme', stream: 'webhook', id: String(id), time: 1_700_000_000_000 + id, raw: { id, kind: id % 2 ? 'odd' : 'even' } })), checkpoint };
}

/** Which of the receipt's promises have settled, and how. */
function watch(p: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } {
  const w: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  p.then(
    () => (w.state = 'resolved'),
    (err: unknown) => {
      w.state = 'rejected';
      w.error = err;
    },
  );
  return w;
}

/** Waits on a receipt's state: `committed` can take the commit policy's delay (up to 1 s) to come. */
async function until(cond: () => boolean, what: string): Promise<void> {
  await eventually(cond, what, 10_000, 1);
}

function stalled(name: string): { release(): void; called: Promise<void> } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let called!: () => void;
  const calledP = new Promise<void>((r) => (called = r));
  probe(name, async (_events, _call, signal) => {
    called();
    const aborted = new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    await Promise.race([gate, aborted]);
    return signal.aborted ? { kind: 'retry', reason: 'stopping' } : { kind: 'ok' };
  });
  return { release, called: calledP };
}

const quiet = () => ({ logDestination: captureLogs().stream });

describe('emit receipt (commit signal)', () => {
  it('disk buffer, stalled sink: durable resolves once the push is fsynced although nothing is delivered', async () => {
    const sink = stalled('rc-disk');
    const conn = connect('rc-disk');
    const p = await startPipeline(
      {
        dataDir: tempDir(),
        api: { enabled: false },
        log: { level: 'warn' },
        sources: [{ id: 'src', type: 'driven_probe', name: 'rc-disk' }],
        sinks: [{ id: 's', type: 'probe', probe: 'rc-disk', inputs: ['src'], buffer: { type: 'disk' } }],
      },
      quiet(),
    );
    const d = await conn;
    const r = await d.send(batch([1, 2, 3], { n: 3 }));
    await r.durable;
    await sink.called; // the sink holds the batch: not delivered
    // With a disk buffer the fsync is the acceptance that lets the checkpoint move (docs/ARCHITECTURE.md).
    await r.committed;
    sink.release();
    await p.stop();
  });

  it('memory buffer: durable waits for delivery', async () => {
    const sink = stalled('rc-mem');
    const conn = connect('rc-mem');
    const p = await startPipeline(
      {
        dataDir: tempDir(),
        api: { enabled: false },
        log: { level: 'warn' },
        sources: [{ id: 'src', type: 'driven_probe', name: 'rc-mem' }],
        sinks: [{ id: 's', type: 'probe', probe: 'rc-mem', inputs: ['src'], buffer: { type: 'memory' } }],
      },
      quiet(),
    );
    const d = await conn;
    const r = await d.send(batch([1, 2], { n: 2 }));
    const durable = watch(r.durable);
    const committed = watch(r.committed);
    await sink.called;
    await settle(50);
    expect(durable.state).toBe('pending');
    expect(committed.state).toBe('pending');
    sink.release();
    await until(() => durable.state === 'resolved', 'durable');
    await until(() => committed.state === 'resolved', 'committed');
    await p.stop();
  });

  it('disk and memory sinks together: durable waits for the memory sink', async () => {
    const mem = stalled('rc-mix-mem');
    probe('rc-mix-disk');
    const conn = connect('rc-mix');
    const p = await startPipeline(
      {
        dataDir: tempDir(),
        api: { enabled: false },
        log: { level: 'warn' },
        sources: [{ id: 'src', type: 'driven_probe', name: 'rc-mix' }],
        sinks: [
          { id: 'disk', type: 'probe', probe: 'rc-mix-disk', inputs: ['src'], buffer: { type: 'disk' } },
          { id: 'mem', type: 'probe', probe: 'rc-mix-mem', inputs: ['src'], buffer: { type: 'memory' } },
        ],
      },
      quiet(),
    );
    const d = await conn;
    const r = await d.send(batch([1, 2, 3, 4], { n: 4 }));
    const durable = watch(r.durable);
    await mem.called;
    await settle(50);
    expect(durable.state).toBe('pending');
    mem.release();
    await until(() => durable.state === 'resolved', 'durable');
    await r.committed;
    await p.stop();
  });

  it('a batch whose events a filter drops entirely settles both promises, and committed keeps batch order', async () => {
    const sink = stalled('rc-filter');
    const conn = connect('rc-filter');
    const p = await startPipeline(
      {
        dataDir: tempDir(),
        api: { enabled: false },
        log: { level: 'warn' },
        sources: [{ id: 'src', type: 'driven_probe', name: 'rc-filter' }],
        transforms: [{ id: 'drop_even', type: 'filter', inputs: ['src'], mode: 'drop', conditions: [{ field: 'kind', equals: 'even' }] }],
        sinks: [{ id: 's', type: 'probe', probe: 'rc-filter', inputs: ['drop_even'], buffer: { type: 'memory' } }],
      },
      quiet(),
    );
    const d = await conn;
    // Batch 1 reaches the stalled sink; batch 2 is all filtered.
    const first = await d.send(batch([1], { n: 1 }));
    const second = await d.send(batch([2, 4], { n: 2 }));
    const firstCommitted = watch(first.committed);
    const secondCommitted = watch(second.committed);
    await second.durable; // nothing to deliver: settled at once
    await sink.called;
    await settle(50);
    // ... but not committed before the earlier batch: the checkpoint never skips one in flight.
    expect(secondCommitted.state).toBe('pending');
    expect(firstCommitted.state).toBe('pending');
    sink.release();
    await until(() => secondCommitted.state === 'resolved' && firstCommitted.state === 'resolved', 'both committed');
    await p.stop();

    // Alone, an all-filtered batch settles both.
    probe('rc-filter2');
    const conn2 = connect('rc-filter2');
    const p2 = await startPipeline(
      {
        dataDir: tempDir(),
        api: { enabled: false },
        log: { level: 'warn' },
        sources: [{ id: 'src', type: 'driven_probe', name: 'rc-filter2' }],
        transforms: [{ id: 'drop_even', type: 'filter', inputs: ['src'], mode: 'drop', conditions: [{ field: 'kind', equals: 'even' }] }],
        sinks: [{ id: 's', type: 'probe', probe: 'rc-filter2', inputs: ['drop_even'], buffer: { type: 'memory' } }],
      },
      quiet(),
    );
    const r = await (await conn2).send(batch([2, 4, 6], { n: 3 }));
    await r.durable;
    await r.committed;
    await p2.stop();
  });

  it('stopping the pipeline rejects receipts still pending, and an ignored receipt causes no unhandled rejection', async () => {
    stalled('rc-stop'); // never released
    const conn = connect('rc-stop');
    const p = await startPipeline(
      {
        dataDir: tempDir(),
        api: { enabled: false },
        log: { level: 'warn' },
        shutdownTimeout: '200ms',
        sources: [{ id: 'src', type: 'driven_probe', name: 'rc-stop' }],
        sinks: [{ id: 's', type: 'probe', probe: 'rc-stop', inputs: ['src'], buffer: { type: 'memory' } }],
      },
      quiet(),
    );
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const d = await conn;
      const watched = await d.send(batch([1], { n: 1 }));
      await d.send(batch([2], { n: 2 })); // receipt ignored on purpose
      const durable = watch(watched.durable);
      const committed = watch(watched.committed);
      await p.stop();
      await until(() => durable.state === 'rejected' && committed.state === 'rejected', 'rejections');
      expect(durable.error).toBeInstanceOf(ReceiptAbandonedError);
      await settle(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('OrderedCommitter receipts', () => {
  it('durable settles per batch; committed only once the checkpoint write covering it finishes', async () => {
    let finishWrite!: () => void;
    const writes: unknown[] = [];
    const c = new OrderedCommitter(
      (cp) =>
        new Promise<void>((resolve) => {
          writes.push(cp);
          finishWrite = resolve;
        }),
    );
    const a = c.begin('a');
    const b = c.begin('b');
    a.add(1);
    b.add(1);
    a.seal();
    b.seal();
    b.ack(1);
    await b.durable; // per batch, out of order
    const aDurable = watch(a.durable);
    const bCommitted = watch(b.committed);
    await settle(2);
    expect(aDurable.state).toBe('pending');
    a.ack(1);
    await a.durable;
    expect(writes).toEqual(['b']);
    await settle(2);
    expect(bCommitted.state).toBe('pending'); // written, not yet finished
    finishWrite();
    await a.committed;
    await b.committed;
  });

  it('a failed checkpoint write rejects the covered receipts with its error; abandon rejects the rest', async () => {
    const c = new OrderedCommitter(() => Promise.reject(new Error('disk full')));
    const a = c.begin('a');
    a.seal();
    await a.durable;
    await expect(a.committed).rejects.toThrow('disk full');
    const b = c.begin('b');
    b.add(1);
    b.seal();
    c.abandon();
    await expect(b.durable).rejects.toBeInstanceOf(ReceiptAbandonedError);
    await expect(b.committed).rejects.toBeInstanceOf(ReceiptAbandonedError);
  });
});

// What the sink runner keeps of a batch, and for how long. The EncodingMemo: one per
// (sub-)batch, the same object on every retry of the same events, a fresh one for each half
// of a split and for a partial resend, and emptied as soon as the batch is settled, so a
// driver's encoded body never outlives its batch. The batch itself: garbage once delivered,
// not kept by a worker waiting for the next one.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { recordToEvent, toSinkEvent, type EncodingMemo, type PipelineEvent, type SendOutcome, type SinkDriver, type SinkEvent } from '../../src/core/types.js';
import { generateRecord } from '../../src/sources/generator.js';
import { deliverThroughCore, startTestSinkRunner } from '../support/drive-sink.js';

function events(n: number): PipelineEvent[] {
  return Array.from({ length: n }, (_, i) => recordToEvent(generateRecord(i, 'acme', 'audit_log', Date.parse('2026-01-01T00:00:00Z'), 3)));
}

interface Call {
  ids: string[];
  memo: EncodingMemo | undefined;
  /** What the memo held when the call came in. */
  found: unknown;
}

/** A driver answering from a script, that stores "its encoding" in the memo as a real one would. */
function scripted(answer: (call: number, batch: SinkEvent[]) => SendOutcome): { driver: SinkDriver; calls: Call[] } {
  const calls: Call[] = [];
  const driver: SinkDriver = {
    async send(batch, _signal, memo) {
      calls.push({ ids: batch.map((e) => e.meta.id), memo, found: memo?.encoded });
      if (memo && memo.encoded === undefined) memo.encoded = { encodedAtCall: calls.length };
      return answer(calls.length, batch);
    },
  };
  return { driver, calls };
}

describe('EncodingMemo across attempts', () => {
  it('a batch retried N times gets one memo: the encoding stored by the first attempt is found by every retry, and emptied once delivered', async () => {
    const { driver, calls } = scripted((n) => (n <= 3 ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'ok' }));
    const r = await deliverThroughCore(driver, events(5));
    expect(r.sent).toBe(5);
    expect(calls).toHaveLength(4);
    const memo = calls[0]!.memo;
    expect(memo).toBeDefined();
    for (const c of calls) expect(c.memo).toBe(memo);
    expect(calls[0]!.found).toBeUndefined();
    for (const c of calls.slice(1)) expect(c.found).toEqual({ encodedAtCall: 1 });
    expect(memo!.encoded).toBeUndefined(); // settled: the encoded body is released
  });

  it('the halves of a split batch get fresh memos (each is encoded for itself), and the whole batch\'s memo is emptied', async () => {
    const { driver, calls } = scripted((n, batch) => {
      if (batch.length === 4) return { kind: 'too_large', reason: 'HTTP 413' };
      if (n === 2) return { kind: 'retry', reason: 'HTTP 503' }; // the first half is retried once
      return { kind: 'ok' };
    });
    const r = await deliverThroughCore(driver, events(4));
    expect(r.sent).toBe(4);
    expect(calls.map((c) => c.ids.length)).toEqual([4, 2, 2, 2]);
    const [whole, firstHalf, firstHalfRetry, secondHalf] = calls as [Call, Call, Call, Call];
    expect(firstHalf.memo).not.toBe(whole.memo);
    expect(secondHalf.memo).not.toBe(whole.memo);
    expect(secondHalf.memo).not.toBe(firstHalf.memo);
    expect(firstHalf.found).toBeUndefined();
    expect(secondHalf.found).toBeUndefined();
    expect(firstHalfRetry.memo).toBe(firstHalf.memo);
    expect(firstHalfRetry.found).toEqual({ encodedAtCall: 2 });
    for (const c of calls) expect(c.memo!.encoded).toBeUndefined();
  });

  it('a partial answer with resendRest sends the rest with a fresh memo (the rest is another request)', async () => {
    const { driver, calls } = scripted((n) => (n === 1 ? { kind: 'partial', rejected: [{ index: 1, reason: 'bad event' }], resendRest: true } : { kind: 'ok' }));
    const r = await deliverThroughCore(driver, events(3));
    expect(r.sent).toBe(2);
    expect(r.deadLetters).toEqual([{ index: 1, reason: 'bad event' }]);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.ids).toEqual([calls[0]!.ids[0], calls[0]!.ids[2]]);
    expect(calls[1]!.memo).not.toBe(calls[0]!.memo);
    expect(calls[1]!.found).toBeUndefined();
  });
});

describe('a delivered batch', () => {
  it('is garbage once acked: a worker waiting for the next batch does not keep the last one (its events) alive', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { runner, buffer } = startTestSinkRunner({ send: async () => ({ kind: 'ok' }) }, { batch: { maxEvents: 100, maxBytes: 1 << 20 }, concurrency: 2, bufferEvents: 1000 });
    // Only weak references stay here: whatever still holds an event after delivery is the runner's.
    const pushed = async (): Promise<WeakRef<object>[]> => {
      const sinkEvents = events(150).map(toSinkEvent);
      await buffer.push(sinkEvents.map((event) => ({ event, bytes: event.bytes })));
      return sinkEvents.map((e) => new WeakRef(e));
    };
    const refs = await pushed();
    await buffer.whenEmpty(); // both batches delivered and acked; the workers wait in read()
    await new Promise((r) => setImmediate(r)); // WeakRef targets are held until the job that made them ends
    gc();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    await runner.stop();
    expect(alive).toBe(0);
  });
});

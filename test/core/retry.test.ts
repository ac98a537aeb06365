import { describe, expect, it } from 'vitest';
import { AbortedError, backoffDelay, retry, type AttemptOutcome } from '../../src/core/retry.js';
import { mulberry32 } from '../support/random.js';

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('backoffDelay (full jitter)', () => {
  it('stays within [0, min(max, initial*2^n)] and uses the whole range', () => {
    const random = mulberry32(7);
    const policy = { initialMs: 100, maxMs: 5_000 };
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(5_000, 100 * 2 ** attempt);
      const samples = Array.from({ length: 200 }, () => backoffDelay(attempt, policy, random));
      expect(Math.max(...samples)).toBeLessThanOrEqual(ceiling);
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeGreaterThan(ceiling * 0.8);
      expect(Math.min(...samples)).toBeLessThan(ceiling * 0.2);
    }
  });
});

describe('retry', () => {
  it('retries transient outcomes and waits at least Retry-After', async () => {
    const { waits, sleep } = recorder();
    const outcomes: AttemptOutcome<string>[] = [
      { kind: 'retry', reason: '503', retryAfterMs: 4000 },
      { kind: 'retry', reason: 'ECONNRESET' },
      { kind: 'ok', value: 'done' },
    ];
    const r = await retry(async () => outcomes.shift()!, { sleep, random: () => 0.99, policy: { initialMs: 100, maxMs: 1000 } });
    expect(r).toEqual({ kind: 'ok', value: 'done' });
    expect(waits[0]).toBe(4000);
    expect(waits[1]).toBe(198); // floor(0.99 * min(1000, 100 * 2^1))
    expect(waits).toHaveLength(2);
  });

  it('returns permanent at once, and auth at once without an auth policy', async () => {
    const { waits, sleep } = recorder();
    expect(await retry(async () => ({ kind: 'permanent', reason: '400' }), { sleep, random: Math.random })).toEqual({ kind: 'permanent', reason: '400' });
    expect(await retry(async () => ({ kind: 'auth', reason: '401' }), { sleep, random: Math.random })).toEqual({ kind: 'auth', reason: '401' });
    expect(waits).toEqual([]);
  });

  it('retries auth slowly with an auth policy and reports each wait', async () => {
    const { waits, sleep } = recorder();
    let n = 0;
    const seen: string[] = [];
    const r = await retry(async () => (++n < 3 ? { kind: 'auth', reason: '401' } : { kind: 'ok', value: n }), {
      sleep,
      random: () => 0,
      authPolicy: { initialMs: 30_000, maxMs: 300_000 },
      onRetry: (i) => seen.push(`${i.kind}:${i.delayMs}`),
    });
    expect(r).toEqual({ kind: 'ok', value: 3 });
    expect(waits).toEqual([30_000, 30_000]);
    expect(seen).toEqual(['auth:30000', 'auth:30000']);
  });

  it('gives up after maxAttempts and classifies thrown errors', async () => {
    const { waits, sleep } = recorder();
    const r = await retry(
      async () => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
      { sleep, random: () => 0.5, maxAttempts: 3, policy: { initialMs: 10, maxMs: 100 } },
    );
    expect(r).toEqual({ kind: 'retry', reason: 'ECONNRESET: socket hang up' });
    expect(waits).toHaveLength(2);
  });

  it('stops with AbortedError when the signal aborts', async () => {
    const ac = new AbortController();
    const p = retry(
      async () => {
        ac.abort();
        return { kind: 'retry', reason: 'x' };
      },
      { sleep: async () => undefined, random: Math.random, signal: ac.signal },
    );
    await expect(p).rejects.toBeInstanceOf(AbortedError);
  });
});

import { describe, expect, it } from 'vitest';
import { AccountRateLimiter, SlidingWindow } from '../../src/sources/zendesk/rate-limiter.js';

function fakeClock(start = 1_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
    advance: (ms: number) => void (t += ms),
  };
}

describe('SlidingWindow', () => {
  it('allows N in any window and says exactly how long to wait for the next', () => {
    const w = new SlidingWindow(3, 60_000);
    expect(w.waitMs(0)).toBe(0);
    w.record(0);
    w.record(10_000);
    w.record(20_000);
    // The request at t=0 leaves the window at t=60000 plus a 1 s margin for its travel time.
    expect(w.waitMs(30_000)).toBe(31_000);
    expect(w.waitMs(61_000)).toBe(0);
  });
});

describe('AccountRateLimiter', () => {
  it('spends the whole per-minute budget and no more, across streams', async () => {
    const clock = fakeClock();
    const l = new AccountRateLimiter(100, clock);
    const start = clock.now();
    for (let i = 0; i < 250; i++) await l.acquire(i % 2 ? 'a' : 'b', undefined);
    // 100 at once, 100 after one minute (+1 s margin), 50 after two.
    expect(clock.now() - start).toBe(122_000);
  });

  it('applies an endpoint limit below the account budget', async () => {
    const clock = fakeClock();
    const l = new AccountRateLimiter(700, clock);
    const start = clock.now();
    for (let i = 0; i < 21; i++) await l.acquire('incremental', 10);
    expect(clock.now() - start).toBe(122_000);
  });

  it('pauses every stream after a 429 and before exhaustion reported by Zendesk', async () => {
    const clock = fakeClock();
    const l = new AccountRateLimiter(700, clock);
    l.pauseFor(7_000);
    await l.acquire(undefined, undefined);
    expect(clock.sleeps).toEqual([7_000]);
    l.observe(500, 41_000); // plenty left: no pause
    await l.acquire(undefined, undefined);
    expect(clock.sleeps).toEqual([7_000]);
    l.observe(l.reserve, 41_000); // about to run out: wait for the reset
    await l.acquire(undefined, undefined);
    expect(clock.sleeps).toEqual([7_000, 41_000]);
  });
});

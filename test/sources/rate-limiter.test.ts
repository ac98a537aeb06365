import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/core/retry.js';
import { AccountRateLimiter, SlidingWindow, type PersistedRateState, type RateStateStore } from '../../src/sources/zendesk/rate-limiter.js';

/**
 * Virtual time: `sleep` registers a timer; `run` lets promises settle, then jumps to the next
 * timer, until every task is done. No real waiting anywhere.
 */
function virtualClock(start = 1_000_000) {
  let t = start;
  let timers: { at: number; resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal }[] = [];
  // setImmediate runs after every queued promise callback: the tasks have gone as far as they can.
  const flushMicrotasks = () => new Promise<void>((r) => setImmediate(r));
  return {
    now: () => t,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new AbortedError());
        const timer = { at: t + ms, resolve, reject, ...(signal ? { signal } : {}) };
        timers.push(timer);
        signal?.addEventListener('abort', () => {
          timers = timers.filter((x) => x !== timer);
          reject(new AbortedError());
        });
      });
    },
    advance(ms: number) {
      t += ms;
    },
    /** Runs until `done` settles, moving time to each next timer when nothing else can happen. */
    async run<T>(done: Promise<T>): Promise<T> {
      let settled = false;
      const out = done.finally(() => (settled = true));
      for (let guard = 0; guard < 100_000; guard++) {
        await flushMicrotasks();
        if (settled) return out;
        if (!timers.length) throw new Error(`deadlock at ${t - start}: nothing scheduled and the task is not done`);
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift()!;
        t = Math.max(t, next.at);
        next.resolve();
      }
      throw new Error('too many steps');
    },
  };
}

/** A stream: `n` requests one after the other, each recorded with its grant time. */
async function stream(l: AccountRateLimiter, clock: { now(): number }, family: string | undefined, limit: number | undefined, n: number, log: { family: string; t: number }[]) {
  for (let i = 0; i < n; i++) {
    await l.acquire(family, limit);
    log.push({ family: family ?? 'default', t: clock.now() });
  }
}

function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

class MemoryStore implements RateStateStore {
  saved: PersistedRateState | undefined;
  writes = 0;
  constructor(initial?: PersistedRateState) {
    this.saved = initial;
  }
  load() {
    return Promise.resolve(this.saved && structuredClone(this.saved));
  }
  save(s: PersistedRateState) {
    this.writes++;
    this.saved = structuredClone(s);
    return Promise.resolve();
  }
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
    const clock = virtualClock();
    const l = new AccountRateLimiter(100, clock);
    const start = clock.now();
    const log: { family: string; t: number }[] = [];
    await clock.run(Promise.all([stream(l, clock, 'a', undefined, 125, log), stream(l, clock, 'b', undefined, 125, log)]));
    // 100 at once, 100 after one minute (+1 s margin), 50 after two.
    expect(clock.now() - start).toBe(122_000);
    expect(maxInAnyWindow(log.map((x) => x.t), 61_000)).toBe(100);
  });

  it('applies an endpoint limit below the account budget', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(700, clock);
    const start = clock.now();
    await clock.run(stream(l, clock, 'incremental', 10, 21, []));
    expect(clock.now() - start).toBe(122_000);
  });

  it('never makes a request of one endpoint wait for another endpoint’s limit (no head-of-line blocking)', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(100, clock);
    const log: { family: string; t: number }[] = [];
    const start = clock.now();
    // The access-log stream exhausts its 5/window at once and then waits; the audit stream
    // must keep getting account slots meanwhile.
    await clock.run(Promise.all([stream(l, clock, 'access_logs', 5, 15, log), stream(l, clock, undefined, undefined, 80, log)]));
    const audit = log.filter((x) => x.family === 'default');
    expect(audit).toHaveLength(80);
    expect(audit.every((x) => x.t === start)).toBe(true);
    const access = log.filter((x) => x.family === 'access_logs').map((x) => x.t - start);
    expect(access).toEqual([0, 0, 0, 0, 0, 61_000, 61_000, 61_000, 61_000, 61_000, 122_000, 122_000, 122_000, 122_000, 122_000]);
  });

  it('shares the account budget fairly between streams that all want it', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(30, clock);
    const log: { family: string; t: number }[] = [];
    const start = clock.now();
    await clock.run(Promise.all([stream(l, clock, 'default', undefined, 60, log), stream(l, clock, 'incremental', 1000, 60, log), stream(l, clock, 'access_logs', 1000, 60, log)]));
    // In every window each of the three streams got its third of the 30 slots.
    for (let k = 0; k < 6; k++) {
      const inWindow = log.filter((x) => x.t - start === k * 61_000);
      expect(inWindow).toHaveLength(30);
      for (const f of ['default', 'incremental', 'access_logs']) expect(inWindow.filter((x) => x.family === f)).toHaveLength(10);
    }
  });

  it('a 429 or exhausted header pauses the whole account; an endpoint header pauses that endpoint only', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(700, clock);
    const start = clock.now();
    l.pauseFor(7_000);
    await clock.run(l.acquire(undefined, undefined));
    expect(clock.now() - start).toBe(7_000);
    l.observe(500, 41_000); // plenty left: no pause
    await clock.run(l.acquire(undefined, undefined));
    expect(clock.now() - start).toBe(7_000);
    l.observe(l.reserve, 41_000); // about to run out: wait for the reset
    await clock.run(l.acquire(undefined, undefined));
    expect(clock.now() - start).toBe(48_000);

    // Zendesk-RateLimit-incremental-exports: total=10; remaining=0; resets=30
    l.observeEndpoint('incremental', { total: 10, remaining: 0, resetMs: 30_000 });
    const log: { family: string; t: number }[] = [];
    await clock.run(Promise.all([stream(l, clock, 'incremental', 30, 1, log), stream(l, clock, undefined, undefined, 3, log)]));
    expect(log.filter((x) => x.family === 'default').map((x) => x.t - start)).toEqual([48_000, 48_000, 48_000]);
    expect(log.filter((x) => x.family === 'incremental').map((x) => x.t - start)).toEqual([78_000]);
  });

  it('lowers an endpoint limit to the total Zendesk reports for it', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(700, clock);
    l.observeEndpoint('incremental', { total: 4, remaining: 3, resetMs: 60_000 });
    const start = clock.now();
    const log: { family: string; t: number }[] = [];
    await clock.run(stream(l, clock, 'incremental', 30, 5, log));
    expect(log.map((x) => x.t - start)).toEqual([0, 0, 0, 0, 61_000]);
  });

  it('an aborted wait leaves the queue and does not take a slot', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(1, clock);
    await clock.run(l.acquire(undefined, undefined));
    const ctl = new AbortController();
    const waiting = l.acquire(undefined, undefined, ctl.signal);
    ctl.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    const start = clock.now();
    await clock.run(l.acquire(undefined, undefined));
    expect(clock.now() - start).toBe(61_000);
  });
});

describe('AccountRateLimiter across restarts', () => {
  it('a clean restart continues the budget the previous process spent, without extra waiting', async () => {
    const clock = virtualClock();
    const store = new MemoryStore();
    const first = new AccountRateLimiter(10, clock, { store });
    const start = clock.now();
    await clock.run(stream(first, clock, 'incremental', 5, 5, []));
    await first.close();
    expect(store.saved).toMatchObject({ clean: true, account: [start, start, start, start, start] });
    clock.advance(10_000);
    const second = new AccountRateLimiter(10, clock, { store });
    const log: { family: string; t: number }[] = [];
    await clock.run(stream(second, clock, 'incremental', 5, 2, log));
    // The endpoint's 5 were spent 10 s ago: the next slot opens one window (+1 s) after them.
    expect(log.map((x) => x.t - start)).toEqual([61_000, 61_000]);
  });

  it('after a crash (no final write) counts the requests it may have lost at the end of the lease', async () => {
    const clock = virtualClock();
    const store = new MemoryStore();
    const first = new AccountRateLimiter(100, clock, { store });
    const start = clock.now();
    // Two requests; the state with one of them is on disk, the second is "lost" with the process.
    await clock.run(first.acquire(undefined, undefined));
    await first.flush();
    await clock.run(first.acquire(undefined, undefined));
    const onDisk = store.saved!;
    expect(onDisk.clean).toBe(false);
    expect(onDisk.account).toEqual([start]);
    expect(onDisk.leaseUntil).toBe(start + first.leaseMs);
    // The crashed process could have sent `maxUnwritten` more within its lease: the new one
    // counts them, in the account budget and in every endpoint's.
    expect(onDisk.maxUnwritten).toBe(first.maxUnwritten);
    clock.advance(50);
    const t0 = clock.now();
    const second = new AccountRateLimiter(100, clock, { store: new MemoryStore(onDisk) });
    const log: { family: string; t: number }[] = [];
    await clock.run(stream(second, clock, 'incremental', 10, 10 - onDisk.maxUnwritten + 1, log));
    // 1 on disk (not an incremental one) + maxUnwritten phantoms: the endpoint has 10 - maxUnwritten left now.
    expect(log.slice(0, -1).every((x) => x.t === t0)).toBe(true);
    expect(log[log.length - 1]!.t).toBe(t0 + 61_000);
    expect(second.waitMs()).toBe(0); // the account (100) still has room
  });

  it('a request is never granted past the lease (or past maxUnwritten) before the state is on disk', async () => {
    const clock = virtualClock();
    // Writes complete only when the test opens the gate.
    let pending: (() => void)[] = [];
    let open = false;
    const release = () => {
      for (const r of pending.splice(0)) r();
    };
    const slow: RateStateStore = {
      load: () => Promise.resolve(undefined),
      save: () => (open ? Promise.resolve() : new Promise<void>((r) => pending.push(r))),
    };
    const l = new AccountRateLimiter(100, clock, { store: slow });
    let granted = false;
    const p = l.acquire(undefined, undefined).then(() => (granted = true));
    await new Promise((r) => setImmediate(r));
    expect(granted).toBe(false); // waiting for the first write
    release();
    await p;
    expect(granted).toBe(true);
    // That write covered none of the requests: at most maxUnwritten go before the next write lands.
    let count = 0;
    const more = Array.from({ length: l.maxUnwritten + 2 }, () => l.acquire(undefined, undefined).then(() => count++));
    await new Promise((r) => setImmediate(r));
    expect(count).toBe(l.maxUnwritten - 1);
    open = true;
    release();
    await Promise.all(more);
    expect(count).toBe(l.maxUnwritten + 2);
    pending = [];
  });

  it('restores pauses Zendesk asked for', async () => {
    const clock = virtualClock();
    const store = new MemoryStore();
    const first = new AccountRateLimiter(100, clock, { store });
    first.pauseFor(20_000);
    await first.close();
    const second = new AccountRateLimiter(100, clock, { store });
    const start = clock.now();
    await clock.run(second.acquire(undefined, undefined));
    expect(clock.now() - start).toBe(20_000);
  });
});

describe('AccountRateLimiter following Zendesk’s own count (ratelimit-remaining / ratelimit-reset)', () => {
  /** `n` requests one after the other, each answered at once (the virtual clock stands still meanwhile). */
  async function answered(l: AccountRateLimiter, clock: { now(): number }, n: number, times: number[], family?: string, limit?: number) {
    for (let i = 0; i < n; i++) {
      const g = await l.acquire(family, limit);
      l.complete(g);
      times.push(clock.now());
    }
  }
  const counts = (times: number[], start: number) => {
    const out: Record<number, number> = {};
    for (const t of times) out[t - start] = (out[t - start] ?? 0) + 1;
    return out;
  };

  it('grants the reported remaining minus the reserve at once, and a fresh window right after the reset', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(20, clock);
    const start = clock.now();
    const g = await clock.run(l.acquire(undefined, undefined));
    l.complete(g);
    // The window Zendesk counts in ends in 10 s; 19 of its 20 requests are left.
    l.observe(19, 10_000, { grant: g, limit: 20 });
    const times: number[] = [];
    await clock.run(answered(l, clock, 37, times));
    // 18 now (19 − a reserve of 1), 19 as the next window begins; the sliding window alone
    // would have granted 19 now and the rest only after 61 s.
    expect(l.reserve).toBe(1);
    expect(counts(times, start)).toEqual({ 0: 18, 10_000: 19 });
  });

  it('falls back to the sliding window once the reported window and the next are over without a new report', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(20, clock);
    const start = clock.now();
    const g = await clock.run(l.acquire(undefined, undefined));
    l.complete(g);
    l.observe(19, 10_000, { grant: g, limit: 20 });
    const times: number[] = [];
    await clock.run(answered(l, clock, 40, times));
    // The next window certainly ends 69 s after the start (reset − 1 s + 60 s): from then on
    // the sliding window decides, and it still holds the 19 requests of 10 s (they leave at 71 s).
    expect(counts(times, start)).toEqual({ 0: 18, 10_000: 19, 69_000: 1, 71_000: 2 });
    expect(maxInAnyWindow([start, ...times].filter((t) => t >= start + 10_000), 61_000)).toBeLessThanOrEqual(20);
  });

  it('subtracts requests the count may not include: those sent after, or still in flight when, the reporting request left, unless their own report places them before it', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(100, clock);
    expect(l.reserve).toBe(2);
    const a = await clock.run(l.acquire(undefined, undefined));
    clock.advance(10);
    const b = await clock.run(l.acquire(undefined, undefined));
    clock.advance(100);
    // B's answer comes first: 40 left after B, but A was in flight when B left and may arrive later.
    l.complete(b);
    l.observe(40, 30_000, { grant: b, limit: 100 });
    expect(l.headerBudget(clock.now())?.available).toBe(40 - 1 - 2);
    // A's answer reports more left than B's: in one window the count only falls, so A arrived
    // before B and is in B's count. A report with less left would have become the anchor.
    l.complete(a);
    l.observe(45, 30_000, { grant: a, limit: 100 });
    expect(l.headerBudget(clock.now())?.available).toBe(40 - 2);
    // A request sent after B left (here an access-log one, which Zendesk may count against the
    // account) is subtracted until an account response reports again.
    const c = await clock.run(l.acquire('access_logs', 50));
    l.complete(c);
    expect(l.headerBudget(clock.now())?.available).toBe(37);
    clock.advance(5);
    const d = await clock.run(l.acquire(undefined, undefined));
    clock.advance(5);
    l.complete(d);
    // Zendesk did not count the access-log request: after D, 39 remain.
    l.observe(39, 29_000, { grant: d, limit: 100 });
    expect(l.headerBudget(clock.now())?.available).toBe(37);
    const times: number[] = [];
    const start = clock.now();
    await clock.run(answered(l, clock, 38, times));
    expect(times.filter((t) => t === start)).toHaveLength(37);
  });

  it('counts access-log requests against the account until a header proves Zendesk does not', async () => {
    const budgetAfter = async (remainingAfterB: number) => {
      const clock = virtualClock();
      const l = new AccountRateLimiter(20, clock, { ownBudgetFamilies: new Set(['access_logs']) });
      const step = () => clock.advance(1);
      const a = await clock.run(l.acquire(undefined, undefined));
      step();
      l.complete(a);
      l.observe(19, 10_000, { grant: a, limit: 20 });
      step();
      const x = await clock.run(l.acquire('access_logs', 50));
      step();
      l.complete(x);
      step();
      const b = await clock.run(l.acquire(undefined, undefined));
      step();
      l.complete(b);
      l.observe(remainingAfterB, 10_000, { grant: b, limit: 20 });
      await clock.run(l.acquire('access_logs', 50)); // in flight from now on
      return l.headerBudget(clock.now())?.available;
    };
    // 18 left after A, X and B: Zendesk counted only A and B, so X's kind costs the account nothing.
    expect(await budgetAfter(18)).toBe(18 - 1);
    // 17 left: it may have counted X (or another integration spent one); the access-log request in flight is subtracted.
    expect(await budgetAfter(17)).toBe(17 - 1 - 1);
  });

  it('takes no evidence from a refused access-log request, and no window from a reset longer than one', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(20, clock, { ownBudgetFamilies: new Set(['access_logs']) });
    const a = await clock.run(l.acquire(undefined, undefined));
    clock.advance(1);
    l.complete(a);
    l.observe(19, 10_000, { grant: a, limit: 20 });
    const x = await clock.run(l.acquire('access_logs', 50));
    clock.advance(1);
    l.complete(x, false); // a 429: perhaps not counted anywhere
    clock.advance(1);
    const b = await clock.run(l.acquire(undefined, undefined));
    clock.advance(1);
    l.complete(b);
    l.observe(18, 10_000, { grant: b, limit: 20 });
    await clock.run(l.acquire('access_logs', 50)); // in flight: still subtracted, nothing was proven
    expect(l.headerBudget(clock.now())?.available).toBe(18 - 1 - 1);

    const fresh = new AccountRateLimiter(20, clock);
    const g = await clock.run(fresh.acquire(undefined, undefined));
    fresh.complete(g);
    fresh.observe(19, 3_600_000, { grant: g, limit: 20 });
    expect(fresh.headerBudget(clock.now())).toBeUndefined();
  });

  it('never sends more than requestsPerMinute of its own in one window, however much the account has left', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(10, clock);
    const start = clock.now();
    const g = await clock.run(l.acquire(undefined, undefined));
    l.complete(g);
    l.observe(600, 30_000, { grant: g, limit: 700 });
    const times: number[] = [];
    await clock.run(answered(l, clock, 19, times));
    expect(counts(times, start)).toEqual({ 0: 9, 30_000: 10 });
  });

  it('a request that failed without an answer keeps counting as possibly on its way', async () => {
    const clock = virtualClock();
    const l = new AccountRateLimiter(20, clock);
    const g = await clock.run(l.acquire(undefined, undefined));
    l.complete(g);
    l.observe(19, 10_000, { grant: g, limit: 20 });
    await clock.run(l.acquire(undefined, undefined)); // never answered (a reset connection)
    clock.advance(10_000);
    // The next window: 20 − reserve, minus the unanswered request, which may land in it.
    expect(l.headerBudget(clock.now())?.available).toBe(18);
  });
});

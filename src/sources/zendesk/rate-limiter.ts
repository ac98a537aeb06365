// Request pacing for one Zendesk account. Four things slow us down before Zendesk has to:
//  1. the account's budget. While a recent response reported the account's remaining count
//     for Zendesk's current fixed minute (`ratelimit-remaining` + `ratelimit-reset`), the
//     server's own account decides (see HeaderBudget): up to that count, minus our requests it
//     may not have counted yet, minus a reserve; at most `requestsPerMinute` of ours in one
//     fixed minute; and after the reset a fresh minute. Without such a report (before the
//     first response, or once it is stale) a sliding window of `requestsPerMinute`: never more
//     than N requests in any window, which also guarantees ≤ N in any fixed minute. Endpoint
//     families (incremental exports 10/min, access logs 50/min) keep sliding windows of their own;
//  2. Zendesk's own headers beyond that: an endpoint's `Zendesk-RateLimit-<name>` slows that
//     endpoint only;
//  3. a 429 pauses what it names (the account, or one endpoint) until Retry-After;
//  4. the budget a previous process spent: request times are persisted (see RateStateStore),
//     so a restart never spends the same minute twice.
//
// Each endpoint family has its own FIFO queue; a request waiting for its endpoint's slot
// never holds up another family (no head-of-line blocking). Account slots go to waiters in
// arrival order, and a stream queues again only after its request, so the streams of an
// account take turns.

import { writeFileAtomic } from '../../core/fs-atomic.js';
import { readFile } from 'node:fs/promises';
import { AbortedError } from '../../core/retry.js';

export class SlidingWindow {
  private times: number[] = [];
  private head = 0;
  /**
   * We count a request when it leaves; Zendesk counts it when it arrives, a little later.
   * Without a margin, the request that frees a slot can land inside the server's window.
   */
  readonly spanMs: number;
  constructor(
    public limit: number,
    readonly windowMs = 60_000,
  ) {
    this.spanMs = windowMs + Math.min(1000, Math.max(50, windowMs * 0.02));
  }

  /** ms to wait before one more request fits; 0 when it fits now. */
  waitMs(now: number): number {
    this.expire(now);
    const used = this.times.length - this.head;
    if (used < this.limit) return 0;
    return this.times[this.head + used - this.limit]! + this.spanMs - now;
  }

  record(now: number): void {
    this.times.push(now);
  }

  /** Times still inside the window (for persistence). */
  recent(now: number): number[] {
    this.expire(now);
    return this.times.slice(this.head);
  }

  /** Adds earlier request times (restored from disk), keeping the list sorted. */
  seed(times: number[]): void {
    if (!times.length) return;
    this.times = [...this.times.slice(this.head), ...times].sort((a, b) => a - b);
    this.head = 0;
  }

  private expire(now: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= now - this.spanMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

/** One granted request, handed back to the limiter with its response (see `complete`, `observe`). */
export interface Grant {
  readonly sentAt: number;
  /** When its response arrived (Infinity while in flight or when it failed: it may still arrive). */
  completedAt: number;
  /** Of a family with a budget of its own, which Zendesk may or may not count against the account. */
  readonly ownBudget?: boolean;
  /** Answered with success: Zendesk counted it (a 429 or an error may not have been). */
  ok?: boolean;
  /** The account's remaining count its response reported, and in which of our numbered windows. */
  report?: { window: number; remaining: number };
}

/**
 * The account's remaining budget in Zendesk's current fixed window, as a response reported it.
 * Zendesk counts a request when it arrives; the response to request A says how many remain
 * after A. Our requests that may not be in that count are those not yet answered when A left:
 * a request answered before A left arrived before A. `ratelimit-reset` is in whole seconds,
 * so the window ends in (A left + (reset−1) s, A answered + reset s].
 */
interface Anchor {
  grant: Grant;
  remaining: number;
  /** The account's limit per window (`ratelimit-limit` / `X-Rate-Limit`), when sent. */
  limit: number | undefined;
  /** Earliest and latest moment the reported window can end. */
  resetLo: number;
  resetHi: number;
  /** Latest moment the reported window can have begun: a request sent from then on is counted in it (or later). */
  beganBy: number;
  /** Our number for the window (reports in the same one share it). */
  window: number;
}

export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What is kept on disk between processes (one file per account). */
export interface PersistedRateState {
  version: 1;
  /** Clock time of the snapshot: every request granted up to then is in it. */
  writtenAt: number;
  /** Written by an orderly close: no request followed it. */
  clean: boolean;
  /** After writtenAt, the process granted requests only until this time (the lease)... */
  leaseUntil: number;
  /** ...and at most this many of them. */
  maxUnwritten: number;
  account: number[];
  endpoints: Record<string, number[]>;
  /** Pauses Zendesk asked for (429, exhausted headers): `account` or a family -> epoch ms. */
  pausedUntil: Record<string, number>;
}

export interface RateStateStore {
  load(): Promise<PersistedRateState | undefined>;
  save(state: PersistedRateState): Promise<void>;
}

/** `dataDir/zendesk/<account>.ratelimit.json`, replaced atomically and fsynced. */
export class FileRateStateStore implements RateStateStore {
  constructor(readonly path: string) {}

  async load(): Promise<PersistedRateState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const s = JSON.parse(text) as PersistedRateState;
    const times = (x: unknown) => Array.isArray(x) && x.every((t) => typeof t === 'number');
    if (s?.version !== 1 || typeof s.writtenAt !== 'number' || typeof s.leaseUntil !== 'number' || typeof s.maxUnwritten !== 'number' || !times(s.account) || !s.endpoints || !Object.values(s.endpoints).every(times)) {
      throw new Error(`unexpected content in ${this.path}`);
    }
    return s;
  }

  async save(state: PersistedRateState): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(state));
  }
}

export interface RateLimiterOptions {
  /** Zendesk's window; 60 s. Tests shrink it together with the simulator's. */
  windowMs?: number;
  /** Persists request times so that a restart knows the budget already spent. */
  store?: RateStateStore;
  /** Reports a state file that could not be read or written (the limiter stays conservative). */
  warn?: (message: string, err: unknown) => void;
  /**
   * Families with a budget of their own (the access log) that send no account headers and that
   * Zendesk may or may not count against the account: counted as account requests until an
   * account header proves they are not (see `observe`).
   */
  ownBudgetFamilies?: ReadonlySet<string>;
}

interface Family {
  window?: SlidingWindow;
  configuredLimit?: number;
  /** `total` of Zendesk's own header for this endpoint, when it sent one. */
  serverTotal?: number;
  pausedUntil: number;
}

interface Waiter {
  family: string;
  resolve(g: Grant): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** A report in the anchor's window with a higher count than the anchor's: that request arrived before it. */
function countedBefore(g: Grant, a: Anchor): boolean {
  return g.report !== undefined && g.report.window === a.window && g.report.remaining > a.remaining;
}

/** Family of requests that have no endpoint limit of their own (e.g. the audit log). */
export const DEFAULT_FAMILY = 'default';

export class AccountRateLimiter {
  private account: SlidingWindow;
  /** Requests of the last two windows with their answer times, for the header budget. */
  private ledger: Grant[] = [];
  private anchor: Anchor | undefined;
  /** An account header proved that Zendesk does not count the own-budget families' requests. */
  private ownBudgetApart = false;
  private windowSeq = 0;
  private readonly configuredPerWindow: number;
  private families = new Map<string, Family>();
  private accountPausedUntil = 0;
  private waiters: Waiter[] = [];
  private timer: { due: number; ctl: AbortController } | undefined;
  /** Requests kept in reserve for other integrations when Zendesk reports the account nearly exhausted. */
  readonly reserve: number;
  readonly windowMs: number;

  // Persistence (only with a store).
  private readonly store: RateStateStore | undefined;
  private readonly ready: Promise<void>;
  /** A request may be granted only until this time; a durable write extends it. */
  private leaseUntil = -Infinity;
  /** How far a durable write extends the lease, and how soon after a request it is written. */
  readonly leaseMs: number;
  /** Requests that may be granted beyond the last durable write. */
  readonly maxUnwritten: number;
  private granted = 0;
  private grantedOnDisk = 0;
  private writing: Promise<void> | null = null;
  private wanted: 'none' | 'dirty' | 'clean' = 'none';
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private restored: { endpoints: Record<string, number[]>; phantomAt?: number; phantoms?: number } = { endpoints: {} };

  constructor(
    requestsPerMinute: number,
    private clock: LimiterClock,
    private opts: RateLimiterOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.account = new SlidingWindow(requestsPerMinute, this.windowMs);
    this.configuredPerWindow = requestsPerMinute;
    this.reserve = Math.max(1, Math.floor(requestsPerMinute * 0.02));
    this.store = opts.store;
    this.leaseMs = Math.min(2000, Math.max(100, Math.round(this.windowMs / 30)));
    // What the budget allows within one lease: a stream at full speed rarely waits for the disk
    // (writes come every leaseMs/4), and a crash costs the next process only that much.
    this.maxUnwritten = Math.max(1, Math.ceil((requestsPerMinute * this.leaseMs) / this.windowMs));
    this.ready = this.store ? this.restore(this.store) : Promise.resolve();
  }

  /**
   * Waits for a slot for one request of `family` (with its own per-window limit, if any). Hand
   * the grant back with `complete` when the response arrives (not when the request fails).
   */
  async acquire(family: string | undefined, familyLimit: number | undefined, signal?: AbortSignal): Promise<Grant> {
    await this.ready;
    if (signal?.aborted) throw new AbortedError();
    const name = family ?? DEFAULT_FAMILY;
    this.configure(name, familyLimit);
    return new Promise<Grant>((resolve, reject) => {
      const w: Waiter = { family: name, resolve, reject, ...(signal ? { signal } : {}) };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new AbortedError());
          this.pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
      this.pump();
    });
  }

  /** Zendesk said: wait this long (429 Retry-After, or the account nearly exhausted). Pauses the whole account. */
  pauseFor(ms: number): void {
    this.accountPausedUntil = Math.max(this.accountPausedUntil, this.clock.now() + ms);
    this.changed();
  }

  /** Pauses one endpoint family only (its own 429, or its own header reporting exhaustion). */
  pauseEndpoint(family: string, ms: number): void {
    const f = this.family(family);
    f.pausedUntil = Math.max(f.pausedUntil, this.clock.now() + ms);
    this.changed();
  }

  /** The response to `grant` arrived (`ok`: a success, which Zendesk surely counted). */
  complete(grant: Grant, ok = true): void {
    grant.completedAt = Math.min(grant.completedAt, this.clock.now());
    grant.ok = ok;
  }

  /**
   * The account's remaining count from the response to `grant` (call `complete` first). With
   * the window's reset it becomes the account's budget until then (newest request wins);
   * without one, few requests left pause the account for a while.
   */
  observe(remaining: number | undefined, resetMs: number | undefined, o: { grant?: Grant; limit?: number | undefined } = {}): void {
    if (remaining === undefined) return;
    const g = o.grant;
    // A reset beyond one window does not describe the fixed windows this budget assumes.
    if (resetMs === undefined || resetMs > this.windowMs || !g || !Number.isFinite(g.completedAt)) {
      if (remaining <= this.reserve) this.pauseFor(resetMs ?? this.windowMs / 6);
      return;
    }
    // Whole seconds, rounded up: the window ends at most resetMs after the answer, and more
    // than resetMs − 1 s after the request left (Zendesk counted it in between).
    const resetHi = g.completedAt + resetMs;
    const resetLo = Math.min(resetHi, g.sentAt + Math.max(0, resetMs - 1000));
    const limit = o.limit !== undefined && o.limit > 0 ? o.limit : undefined;
    const p = this.anchor;
    const own = { resetLo, resetHi, beganBy: resetHi - this.windowMs };
    // Zendesk's windows follow each other every windowMs: a report in the anchor's window or
    // the next narrows the bounds (a second of rounding becomes a few ms). Bounds that
    // disagree (windows not as periodic as assumed) leave this report on its own.
    const shift = !p ? undefined : g.sentAt >= p.beganBy && g.completedAt < p.resetLo ? 0 : g.sentAt >= p.resetHi && g.completedAt < p.resetLo + this.windowMs ? this.windowMs : undefined;
    const lo = p && shift !== undefined ? Math.max(resetLo, p.resetLo + shift) : resetLo;
    const hi = p && shift !== undefined ? Math.min(resetHi, p.resetHi + shift) : resetHi;
    if (p && shift === 0 && lo < hi) {
      // The same window: the lower count arrived later and becomes the anchor.
      g.report = { window: p.window, remaining };
      const bounds = { resetLo: lo, resetHi: hi, beganBy: Math.min(hi - this.windowMs, p.beganBy) };
      this.anchor = remaining < p.remaining ? { ...bounds, grant: g, remaining, limit: limit ?? p.limit, window: p.window } : { ...p, ...bounds };
    } else if (p && shift === this.windowMs && lo < hi) {
      const window = ++this.windowSeq;
      g.report = { window, remaining };
      this.anchor = { grant: g, remaining, limit: limit ?? p.limit, resetLo: lo, resetHi: hi, beganBy: Math.min(hi - this.windowMs, p.resetHi), window };
    } else if (!p || g.sentAt > p.grant.sentAt) {
      // A window we cannot place against the anchor's: the newer request's report wins.
      const window = ++this.windowSeq;
      g.report = { window, remaining };
      this.anchor = { grant: g, remaining, limit, ...own, window };
    } else return;
    this.learnOwnBudget(this.anchor);
    this.pump();
  }

  /**
   * The account's budget by the last header (requests that may go now, and until when that
   * figure holds), or undefined when there is no usable header: then the sliding window decides.
   */
  headerBudget(now: number): { available: number; untilMs: number } | undefined {
    const a = this.anchor;
    if (!a) return undefined;
    if (now < a.resetHi) {
      // The window the response was counted in. Ours in it: at most those unanswered when it
      // can have begun; not yet in `remaining`: those granted after the anchor's request, and
      // those unanswered when it left.
      const ours = this.unansweredAt(a.resetLo - this.windowMs);
      const uncounted = this.unansweredAt(a.grant.sentAt, a);
      return { available: Math.min(a.remaining - uncounted - this.reserveOf(a), this.configuredPerWindow - ours), untilMs: a.resetHi };
    }
    // The next window: it begins by resetHi and ends after resetLo + window. Every request not
    // answered by resetLo may count in it.
    if (a.limit === undefined || now >= a.resetLo + this.windowMs) return undefined;
    const ours = this.unansweredAt(a.resetLo);
    return { available: Math.min(a.limit - this.reserveOf(a), this.configuredPerWindow) - ours, untilMs: a.resetLo + this.windowMs };
  }

  /** 2 % of the account's budget as Zendesk reports it (at least 1), for other integrations. */
  private reserveOf(a: Anchor): number {
    return a.limit === undefined ? this.reserve : Math.max(1, Math.floor(Math.min(a.limit, this.configuredPerWindow) * 0.02));
  }

  /**
   * Our requests that may not have reached Zendesk by `t`: unanswered then (answered at `t`
   * counts as unanswered: one clock tick cannot order them) and, with `after`, every request
   * granted after its request, except those whose own report shows they arrived before it.
   */
  private unansweredAt(t: number, after?: Anchor): number {
    let n = 0;
    let later = false;
    for (const g of this.ledger) {
      if (g === after?.grant) later = true;
      else if ((later || g.completedAt >= t) && !(g.ownBudget && this.ownBudgetApart) && !(after && countedBefore(g, after))) n++;
    }
    return n;
  }

  /**
   * Evidence about the own-budget families (access logs): the account's used count (limit −
   * remaining) covers at least every request of ours that surely arrived in the same window
   * before the reporting one and succeeded (a 429 may not count). When it is smaller than those plus our access-log requests among
   * them, Zendesk did not count the latter; other integrations can only make it larger.
   */
  private learnOwnBudget(a: Anchor): void {
    if (this.ownBudgetApart || a.limit === undefined) return;
    // Sent after the window began at the latest, or after a request reported in it was
    // answered: they arrived in it, and before A if answered before A left.
    let since = a.beganBy;
    for (const g of this.ledger) if (g.report?.window === a.window) since = Math.min(since, g.completedAt);
    let account = 0;
    let own = 0;
    for (const g of this.ledger) {
      if (!g.ok || !(g === a.grant || countedBefore(g, a) || (g.sentAt >= since && g.completedAt < a.grant.sentAt))) continue;
      if (g.ownBudget) own++;
      else account++;
    }
    if (own > 0 && a.limit - a.remaining < account + own) this.ownBudgetApart = true;
  }

  private accountWaitMs(now: number): number {
    const h = this.headerBudget(now);
    if (!h) return this.account.waitMs(now);
    return h.available > 0 ? 0 : Math.max(1, h.untilMs - now);
  }

  /**
   * An endpoint's own limit as Zendesk reported it (`Zendesk-RateLimit-<name>: total=..; remaining=..; resets=..`).
   * A `total` below our configured limit lowers it; exhaustion pauses this family only.
   */
  observeEndpoint(family: string, o: { total?: number | undefined; remaining?: number | undefined; resetMs?: number | undefined }): void {
    const f = this.family(family);
    if (o.total !== undefined && o.total > 0 && o.total !== f.serverTotal) {
      f.serverTotal = o.total;
      this.applyLimit(family, f);
    }
    if (o.remaining === undefined) return;
    const reserve = o.total !== undefined ? Math.floor(o.total * 0.02) : 0;
    if (o.remaining <= reserve) this.pauseEndpoint(family, o.resetMs ?? this.windowMs / 6);
  }

  /** ms until one request of `family` could go, ignoring other waiters (0 = now). */
  waitMs(family: string = DEFAULT_FAMILY): number {
    const now = this.clock.now();
    const f = this.families.get(family);
    return Math.max(0, this.accountPausedUntil - now, this.accountWaitMs(now), (f?.pausedUntil ?? 0) - now, f?.window?.waitMs(now) ?? 0);
  }

  /** Writes the final state (marked clean: nothing follows it) and stops timers. */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.ctl.abort();
    this.timer = undefined;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.store) await this.flush(true);
  }

  /** Writes the current state (coalesced: one write in flight, and it always writes the newest state). */
  flush(clean = false): Promise<void> {
    if (!this.store) return Promise.resolve();
    this.wanted = clean || this.wanted === 'clean' ? 'clean' : 'dirty';
    return (this.writing ??= this.writeLoop(this.store));
  }

  private async writeLoop(store: RateStateStore): Promise<void> {
    try {
      while (this.wanted !== 'none') {
        const clean = this.wanted === 'clean';
        this.wanted = 'none';
        const now = this.clock.now();
        const endpoints: Record<string, number[]> = {};
        const pausedUntil: Record<string, number> = {};
        if (this.accountPausedUntil > now) pausedUntil.account = this.accountPausedUntil;
        for (const [name, f] of this.families) {
          if (f.window) endpoints[name] = f.window.recent(now);
          if (f.pausedUntil > now) pausedUntil[name] = f.pausedUntil;
        }
        const lease = clean ? now : now + this.leaseMs;
        const granted = this.granted;
        try {
          await store.save({ version: 1, writtenAt: now, clean, leaseUntil: lease, maxUnwritten: this.maxUnwritten, account: this.account.recent(now), endpoints, pausedUntil });
          // The lease grows only once the write is durable: a request granted after `now` relies on it.
          this.grantedOnDisk = Math.max(this.grantedOnDisk, granted);
          if (!clean) this.leaseUntil = Math.max(this.leaseUntil, lease);
        } catch (err) {
          this.opts.warn?.('cannot write the rate-limit state; requests wait until it can be written', err);
          if (!clean && !this.closed) await this.clock.sleep(this.leaseMs).catch(() => undefined);
        }
      }
    } finally {
      this.writing = null;
    }
    if (!this.closed) this.pump();
  }

  private async restore(store: RateStateStore): Promise<void> {
    let s: PersistedRateState | undefined;
    const now = this.clock.now();
    try {
      s = await store.load();
    } catch (err) {
      // Unknown history: assume the previous process used every budget just now.
      this.opts.warn?.('cannot read the rate-limit state; assuming the budgets were just spent', err);
      this.restored = { endpoints: {}, phantomAt: now, phantoms: Infinity };
      this.fillToLimit(this.account, now, Infinity);
      // Unknown requests may still be on their way: a whole window's worth, as in the sliding window.
      this.rememberRestored(Array.from({ length: this.configuredPerWindow }, () => now));
      return;
    }
    if (!s) return;
    this.account.seed(s.account);
    this.rememberRestored(s.account.filter((t) => t > now - 2 * this.windowMs));
    for (const [k, until] of Object.entries(s.pausedUntil ?? {})) {
      if (k === 'account') this.accountPausedUntil = Math.max(this.accountPausedUntil, until);
      else this.family(k).pausedUntil = until;
    }
    this.restored = { endpoints: s.endpoints };
    if (!s.clean) {
      // The process stopped without a final write: requests after `writtenAt` are not in the
      // file. It granted at most `maxUnwritten` of them, all within its lease, so by
      // `leaseUntil` (and before now). Count that many more in every budget, at that moment.
      const phantomAt = Math.min(now, s.leaseUntil);
      this.restored.phantomAt = phantomAt;
      this.restored.phantoms = s.maxUnwritten;
      this.fillToLimit(this.account, phantomAt, s.maxUnwritten);
      this.rememberRestored(Array.from({ length: s.maxUnwritten }, () => phantomAt));
    }
  }

  /** Adds a request to the ledger; forgets those too old to matter to any window (two back). */
  private remember(g: Grant, now: number): void {
    this.ledger.push(g);
    let drop = 0;
    while (drop < this.ledger.length && this.ledger[drop]!.sentAt < now - 2 * this.windowMs) drop++;
    if (drop) this.ledger.splice(0, drop);
  }

  /**
   * Requests of a previous process: answered, as far as we know, within the travel margin the
   * sliding window assumes, so a header's count may not include the last few of them yet.
   */
  private rememberRestored(times: number[]): void {
    const margin = this.account.spanMs - this.windowMs;
    // Not `ok`: perhaps never sent at all, so no evidence about what Zendesk counts.
    for (const t of times) this.ledger.push({ sentAt: t, completedAt: t + margin });
    this.ledger.sort((a, b) => a.sentAt - b.sentAt);
  }

  private fillToLimit(w: SlidingWindow, at: number, atMost: number): void {
    const missing = Math.min(atMost, w.limit - w.recent(this.clock.now()).length);
    if (missing > 0) w.seed(Array.from({ length: missing }, () => at));
  }

  private family(name: string): Family {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { pausedUntil: 0 }));
    return f;
  }

  private configure(name: string, limit: number | undefined): void {
    const f = this.family(name);
    if (limit === undefined || limit === f.configuredLimit) return;
    // Two sources of one family with different limits: the lower one holds.
    f.configuredLimit = f.configuredLimit === undefined ? limit : Math.min(f.configuredLimit, limit);
    this.applyLimit(name, f);
  }

  private applyLimit(name: string, f: Family): void {
    const limits = [f.configuredLimit, f.serverTotal].filter((x): x is number => x !== undefined);
    if (!limits.length) return;
    const limit = Math.min(...limits);
    if (f.window) {
      f.window.limit = limit;
      return;
    }
    f.window = new SlidingWindow(limit, this.windowMs);
    f.window.seed(this.restored.endpoints[name] ?? []);
    if (this.restored.phantomAt !== undefined) this.fillToLimit(f.window, this.restored.phantomAt, this.restored.phantoms ?? Infinity);
  }

  /** Grants every waiter that may go now, in arrival order, then sleeps until the next may. */
  private pump(): void {
    if (this.closed) {
      for (const w of this.waiters.splice(0)) w.reject(new AbortedError());
      return;
    }
    const now = this.clock.now();
    let nextWake = Infinity;
    let needWrite = false;
    const blocked = new Set<string>();
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      // FIFO within a family; a blocked family does not hold up the others.
      if (blocked.has(w.family)) {
        i++;
        continue;
      }
      const f = this.family(w.family);
      const wait = Math.max(this.accountPausedUntil - now, this.accountWaitMs(now), f.pausedUntil - now, f.window?.waitMs(now) ?? 0);
      if (wait > 0) {
        blocked.add(w.family);
        nextWake = Math.min(nextWake, wait);
        i++;
        continue;
      }
      if (this.store && (now > this.leaseUntil || this.granted - this.grantedOnDisk >= this.maxUnwritten)) {
        // Past the lease: the state must be on disk before anything more is sent.
        needWrite = true;
        break;
      }
      this.account.record(now);
      f.window?.record(now);
      const grant: Grant = { sentAt: now, completedAt: Infinity, ...(this.opts.ownBudgetFamilies?.has(w.family) ? { ownBudget: true } : {}) };
      this.remember(grant, now);
      this.granted++;
      this.waiters.splice(i, 1);
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(grant);
      this.scheduleFlush();
    }
    if (needWrite) {
      void this.flush();
      return;
    }
    if (!this.waiters.length || nextWake === Infinity) {
      this.timer?.ctl.abort();
      this.timer = undefined;
      return;
    }
    const due = now + nextWake;
    if (this.timer && this.timer.due <= due) return;
    this.timer?.ctl.abort();
    const ctl = new AbortController();
    this.timer = { due, ctl };
    this.clock.sleep(nextWake, ctl.signal).then(
      () => {
        if (this.timer?.ctl === ctl) this.timer = undefined;
        this.pump();
      },
      () => undefined,
    );
  }

  private changed(): void {
    this.scheduleFlush();
  }

  // Request times are written shortly after each grant (coalesced), well inside the lease,
  // so a busy stream never waits for the disk.
  private scheduleFlush(): void {
    if (!this.store || this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, Math.floor(this.leaseMs / 4));
    this.flushTimer.unref();
  }
}

// Rate limiting as documented on https://developer.zendesk.com/api-reference/introduction/rate-limits/
// (account limit per minute, 700 on Enterprise; "Incremental Exports global limit" 10/min) and on
// https://developer.zendesk.com/api-reference/ticketing/account-configuration/access_logs/ (50/min,
// its own conventions). Fixed windows aligned to the (injectable) clock, because the docs speak of
// "requests remaining in the current minute" and ratelimit-reset counts down to the window's end.

import type { EndpointName } from './types.js';

export interface LimitOptions {
  /** false turns every budget off (benchmarks); injected 429 faults still fire. Default true. */
  enabled?: boolean;
  /** Window length; shrink it in tests. Default 60000 (one minute). */
  windowMs?: number;
  /** Account-wide budget per window. Default 700 (Enterprise plan). */
  accountPerMinute?: number;
  /** GET /api/v2/incremental/* budget per window. Default 10. */
  incrementalPerMinute?: number;
  /** GET /api/v2/access_logs budget per window. Default 50. */
  accessLogsPerMinute?: number;
  /**
   * Whether access-log requests also spend the account budget. Zendesk's docs do not say;
   * default false (their own budget only). Clients must keep 0 × 429 either way.
   */
  accessLogsCountAgainstAccount?: boolean;
}

export type BucketName = 'account' | 'incremental' | 'access_logs';

/**
 * Which budgets a request spends. Incremental exports count against the account limit too
 * (endpoint limits are in addition to it). The access-log API "doesn't follow the same rate
 * limiting conventions as other Zendesk APIs"; by default it has a budget of its own only,
 * with `accessLogsCountAgainstAccount` the account's as well (neither is documented).
 */
export function bucketsFor(endpoint: EndpointName, accessLogsCountAgainstAccount = false): BucketName[] {
  if (endpoint === 'ticket_events') return ['account', 'incremental'];
  if (endpoint === 'access_logs') return accessLogsCountAgainstAccount ? ['access_logs', 'account'] : ['access_logs'];
  return ['account'];
}

/** The budget a fault on this endpoint stands for. */
export function primaryBucket(endpoint: EndpointName): BucketName {
  return endpoint === 'ticket_events' ? 'incremental' : endpoint === 'access_logs' ? 'access_logs' : 'account';
}

export interface BucketState {
  limit: number;
  remaining: number;
  /** Seconds until the window resets (ceil). */
  resetSec: number;
  /** Epoch ms when the window resets. */
  resetAtMs: number;
}

export type LimitDecision =
  | { ok: true; states: Partial<Record<BucketName, BucketState>> }
  | { ok: false; bucket: BucketName; retryAfterSec: number; state: BucketState; states: Partial<Record<BucketName, BucketState>> };

export interface Violation {
  time: number;
  endpoint: EndpointName;
  bucket: BucketName;
  /** How long before the advertised Retry-After/reset the request came. */
  earlyByMs: number;
}

export class RateLimiter {
  private opts: Required<LimitOptions>;
  private readonly used = new Map<BucketName, { window: number; used: number }>();
  private readonly blockedUntil = new Map<BucketName, number>();

  constructor(opts: LimitOptions = {}) {
    this.opts = RateLimiter.resolve(opts);
  }

  static resolve(o: LimitOptions): Required<LimitOptions> {
    return {
      enabled: o.enabled ?? true,
      windowMs: o.windowMs ?? 60_000,
      accountPerMinute: o.accountPerMinute ?? 700,
      incrementalPerMinute: o.incrementalPerMinute ?? 10,
      accessLogsPerMinute: o.accessLogsPerMinute ?? 50,
      accessLogsCountAgainstAccount: o.accessLogsCountAgainstAccount ?? false,
    };
  }

  get options(): Readonly<Required<LimitOptions>> {
    return this.opts;
  }

  set(o: LimitOptions): void {
    this.opts = RateLimiter.resolve({ ...this.opts, ...o });
  }

  reset(): void {
    this.used.clear();
    this.blockedUntil.clear();
  }

  limitOf(b: BucketName): number {
    return b === 'account' ? this.opts.accountPerMinute : b === 'incremental' ? this.opts.incrementalPerMinute : this.opts.accessLogsPerMinute;
  }

  private state(b: BucketName, now: number): BucketState {
    const w = this.opts.windowMs;
    const window = Math.floor(now / w);
    const u = this.used.get(b);
    const used = u && u.window === window ? u.used : 0;
    const resetAtMs = (window + 1) * w;
    const limit = this.limitOf(b);
    return { limit, remaining: Math.max(0, limit - used), resetSec: Math.max(1, Math.ceil((resetAtMs - now) / 1000)), resetAtMs };
  }

  /** Checks every budget first and spends from all of them only if none is exhausted. */
  take(buckets: BucketName[], now: number): LimitDecision {
    const states: Partial<Record<BucketName, BucketState>> = {};
    if (!this.opts.enabled) return { ok: true, states };
    for (const b of buckets) {
      const s = this.state(b, now);
      states[b] = s;
      if (s.remaining <= 0) return { ok: false, bucket: b, retryAfterSec: s.resetSec, state: s, states };
    }
    const window = Math.floor(now / this.opts.windowMs);
    for (const b of buckets) {
      const u = this.used.get(b);
      this.used.set(b, { window, used: (u && u.window === window ? u.used : 0) + 1 });
      const s = states[b] as BucketState;
      states[b] = { ...s, remaining: s.remaining - 1 };
    }
    return { ok: true, states };
  }

  /** Remembers that we told the client to stay away from these budgets until `untilMs`. */
  block(buckets: BucketName[], untilMs: number): void {
    for (const b of buckets) this.blockedUntil.set(b, Math.max(this.blockedUntil.get(b) ?? 0, untilMs));
  }

  /** A request arriving before an advertised Retry-After/reset has elapsed, if any. */
  violation(buckets: BucketName[], endpoint: EndpointName, now: number): Violation | undefined {
    for (const b of buckets) {
      const until = this.blockedUntil.get(b);
      if (until !== undefined && now < until) return { time: now, endpoint, bucket: b, earlyByMs: until - now };
    }
    return undefined;
  }
}

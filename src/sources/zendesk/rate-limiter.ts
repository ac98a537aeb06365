// Request pacing for one Zendesk account. Three things slow us down before Zendesk has to:
//  1. a sliding-window budget per account (config `requestsPerMinute`) and per endpoint
//     family (incremental exports 10/min, access logs 50/min): never more than N requests
//     in any 60 s, which also guarantees ≤ N in any fixed minute Zendesk may count in;
//  2. Zendesk's own headers: when `X-Rate-Limit-Remaining` / `ratelimit-remaining` reports
//     the account almost exhausted (other integrations share it), wait for `ratelimit-reset`;
//  3. a 429 pauses every stream of the account until its Retry-After (or ratelimit-reset).

export class SlidingWindow {
  private times: number[] = [];
  private head = 0;
  /**
   * We count a request when it leaves; Zendesk counts it when it arrives, a little later.
   * Without a margin, the request that frees a slot can land inside the server's window.
   */
  private readonly spanMs: number;
  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
  ) {
    this.spanMs = windowMs + Math.min(1000, Math.max(50, windowMs * 0.02));
  }

  /** ms to wait before one more request fits; 0 when it fits now. */
  waitMs(now: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= now - this.spanMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    const used = this.times.length - this.head;
    if (used < this.limit) return 0;
    return this.times[this.head + used - this.limit]! + this.spanMs - now;
  }

  record(now: number): void {
    this.times.push(now);
  }
}

export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export class AccountRateLimiter {
  private account: SlidingWindow;
  private endpoints = new Map<string, SlidingWindow>();
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  /** Requests kept in reserve for other integrations when Zendesk reports the account nearly exhausted. */
  readonly reserve: number;

  constructor(
    requestsPerMinute: number,
    private clock: LimiterClock,
    private windowMs = 60_000,
  ) {
    this.account = new SlidingWindow(requestsPerMinute, windowMs);
    this.reserve = Math.max(1, Math.floor(requestsPerMinute * 0.02));
  }

  /** Waits for a slot for one request to `endpoint` (with its own limit, if any). Serialised, FIFO. */
  acquire(endpoint: string | undefined, endpointLimit: number | undefined, signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(endpoint, endpointLimit, signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(endpoint: string | undefined, endpointLimit: number | undefined, signal?: AbortSignal): Promise<void> {
    let ep: SlidingWindow | undefined;
    if (endpoint && endpointLimit) {
      ep = this.endpoints.get(endpoint);
      if (!ep || ep.limit !== endpointLimit) this.endpoints.set(endpoint, (ep = new SlidingWindow(endpointLimit, this.windowMs)));
    }
    for (;;) {
      const now = this.clock.now();
      const wait = Math.max(this.pausedUntil - now, this.account.waitMs(now), ep?.waitMs(now) ?? 0);
      if (wait <= 0) break;
      await this.clock.sleep(wait, signal);
    }
    const now = this.clock.now();
    this.account.record(now);
    ep?.record(now);
  }

  /** Zendesk said: wait this long (429 Retry-After / ratelimit-reset). Pauses the whole account. */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  /** Slow down before a 429 when Zendesk reports few requests left in its window. */
  observe(remaining: number | undefined, resetMs: number | undefined): void {
    if (remaining === undefined) return;
    if (remaining <= this.reserve) this.pauseFor(resetMs ?? this.windowMs / 6);
  }
}

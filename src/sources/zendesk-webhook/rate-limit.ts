// One token bucket per client address: a flood from one address spends only its own tokens,
// so it cannot starve Zendesk's senders. The table is bounded: full (idle) buckets are
// forgotten first, and past the bound the oldest entry goes.

export interface RateLimitOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Bucket size: the burst an address may send at once. */
  burst: number;
  /** Most addresses remembered. */
  maxAddresses: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class AddressRateLimiter {
  private buckets = new Map<string, Bucket>();

  constructor(private readonly opts: RateLimitOptions) {}

  /** Takes one token for `address`; false when its bucket is empty (answer 429). */
  take(address: string, now: number): boolean {
    let b = this.buckets.get(address);
    if (b) {
      b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.ratePerSecond);
      b.at = now;
      // Re-insert so that Map order is least-recently-used first.
      this.buckets.delete(address);
    } else {
      b = { tokens: this.opts.burst, at: now };
      this.trim(now);
    }
    this.buckets.set(address, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until `address` has a token again (for Retry-After). */
  retryAfterSeconds(address: string): number {
    const b = this.buckets.get(address);
    if (!b || b.tokens >= 1) return 1;
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.ratePerSecond));
  }

  private trim(now: number): void {
    if (this.buckets.size < this.opts.maxAddresses) return;
    for (const [addr, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.opts.ratePerSecond >= this.opts.burst) this.buckets.delete(addr);
    }
    while (this.buckets.size >= this.opts.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
  }
}

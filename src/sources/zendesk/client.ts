// One HTTP client per Zendesk account (undici Pool with keep-alive), shared by its streams.
// Every request goes through the account's rate limiter and the shared retry helper:
// 429 honours Retry-After (or ratelimit-reset for the access-log 429, which has no
// Retry-After), 5xx / timeouts / resets back off with jitter, a malformed JSON page is
// retried a few times, 401/403 stop the stream with Zendesk's own error text.

import { Pool, type Dispatcher } from 'undici';
import { describeError, parseRetryAfter, retry, type AttemptOutcome } from '../../core/retry.js';
import type { ComponentContext } from '../../core/types.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ZendeskAccountConfig } from './account-config.js';
import { AccountRateLimiter } from './rate-limiter.js';

export class ZendeskAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ZendeskAuthError';
  }
}

export class ZendeskRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ZendeskRequestError';
  }
}

/** The page body stayed unparseable after retries; the caller decides whether skipping is safe. */
export class MalformedPageError extends Error {
  constructor(
    readonly url: string,
    readonly body: string,
    reason: string,
  ) {
    super(`malformed page from ${url}: ${reason}`);
    this.name = 'MalformedPageError';
  }
}

export interface GetOptions {
  /** Endpoint family for its own rate limit, e.g. `incremental` (10/min) or `access_logs` (50/min). */
  endpoint?: string;
  endpointLimit?: number;
  ctx: ComponentContext;
  signal: AbortSignal;
  /** --once mode gives up after this many attempts instead of retrying forever. */
  maxAttempts?: number;
  /** Per-request timeout of the calling source (the client is shared by an account's streams). */
  timeoutMs?: number;
}

export interface ZendeskClientOptions {
  requestTimeoutMs?: number;
  /** Rate-limit window; 60 s as Zendesk's. Tests shrink it. */
  windowMs?: number;
  userAgent?: string;
}

const MALFORMED_ATTEMPTS = 3;

export class ZendeskClient {
  readonly origin: string;
  readonly limiter: AccountRateLimiter;
  private pool: Dispatcher;
  private auth: string;

  constructor(
    readonly account: ZendeskAccountConfig,
    private clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void>; random(): number },
    private metrics: Metrics,
    private opts: ZendeskClientOptions = {},
  ) {
    this.origin = new URL(account.baseUrl ?? `https://${account.subdomain}.zendesk.com`).origin;
    this.pool = new Pool(this.origin, { connections: 4, keepAliveTimeout: 30_000, pipelining: 1 });
    this.auth =
      account.auth.type === 'token'
        ? `Basic ${Buffer.from(`${account.auth.email}/token:${account.auth.token}`).toString('base64')}`
        : `Bearer ${account.auth.accessToken}`;
    this.limiter = new AccountRateLimiter(account.requestsPerMinute, clock, opts.windowMs ?? 60_000);
  }

  /**
   * Path + query on this account's origin. Zendesk's `links.next` URLs are absolute; only
   * their path and query are used, so a baseUrl override (proxy, simulator) keeps working.
   */
  resolve(pathOrUrl: string): string {
    const u = new URL(pathOrUrl, this.origin);
    return `${u.pathname}${u.search}`;
  }

  async getJson(pathOrUrl: string, o: GetOptions): Promise<{ body: Record<string, unknown>; url: string }> {
    const path = this.resolve(pathOrUrl);
    const url = `${this.origin}${path}`;
    let malformed = 0;
    let lastBody = '';
    const result = await retry<Record<string, unknown>>(
      async (): Promise<AttemptOutcome<Record<string, unknown>>> => {
        await this.limiter.acquire(o.endpoint, o.endpointLimit, o.signal);
        const res = await this.pool.request({
          method: 'GET',
          path,
          headers: { authorization: this.auth, accept: 'application/json', 'user-agent': this.opts.userAgent ?? 'zendesk-siem-forwarder' },
          signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs ?? this.opts.requestTimeoutMs ?? 60_000)]),
        });
        const text = await res.body.text();
        this.metrics.componentReceivedBytes.inc({ component: o.ctx.id, kind: 'source' }, Buffer.byteLength(text));
        this.metrics.sourceRequests.inc({ source: o.ctx.id, code: String(res.statusCode) });
        this.readRateHeaders(res.headers);
        const status = res.statusCode;
        if (status === 200) {
          try {
            const body = JSON.parse(text) as unknown;
            if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('expected a JSON object');
            return { kind: 'ok', value: body as Record<string, unknown> };
          } catch (err) {
            lastBody = text;
            if (++malformed >= MALFORMED_ATTEMPTS) return { kind: 'permanent', reason: `malformed:${describeError(err)}` };
            return { kind: 'retry', reason: `malformed JSON page: ${describeError(err)}` };
          }
        }
        const detail = zendeskError(text);
        if (status === 429) {
          const wait = parseRetryAfter(res.headers['retry-after'] as string | undefined, this.clock.now()) ?? resetHeaderMs(res.headers['ratelimit-reset'], this.clock.now()) ?? 60_000;
          this.limiter.pauseFor(wait);
          return { kind: 'retry', reason: `HTTP 429${detail ? `: ${detail}` : ''}`, retryAfterMs: wait };
        }
        if (status === 401 || status === 403) return { kind: 'auth', reason: `HTTP ${status}${detail ? `: ${detail}` : ''}` };
        if (status === 408 || status >= 500) {
          const wait = parseRetryAfter(res.headers['retry-after'] as string | undefined, this.clock.now());
          return wait === undefined ? { kind: 'retry', reason: `HTTP ${status}${detail ? `: ${detail}` : ''}` } : { kind: 'retry', reason: `HTTP ${status}`, retryAfterMs: wait };
        }
        return { kind: 'permanent', reason: `HTTP ${status}${detail ? `: ${detail}` : ''}` };
      },
      {
        policy: { initialMs: 1000, maxMs: 120_000 },
        signal: o.signal,
        sleep: this.clock.sleep,
        random: this.clock.random,
        ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
        classifyError: (err) => {
          this.metrics.sourceRequests.inc({ source: o.ctx.id, code: 'error' });
          return { kind: 'retry', reason: describeError(err) };
        },
        onRetry: (info) => o.ctx.logger.warn({ url, attempt: info.attempt, reason: info.reason, retryInMs: info.delayMs }, 'Zendesk request failed, retrying'),
      },
    );
    if (result.kind === 'ok') return { body: result.value, url };
    if (result.kind === 'auth') {
      throw new ZendeskAuthError(
        Number(/HTTP (\d+)/.exec(result.reason)?.[1] ?? 401),
        `Zendesk rejected the credentials of account "${this.account.name}" (${result.reason}) for ${path}. Check the API token / OAuth token, its scopes (read) and that the plan includes this log.`,
      );
    }
    if (result.kind === 'permanent' && result.reason.startsWith('malformed:')) throw new MalformedPageError(url, lastBody, result.reason.slice(10));
    const status = Number(/HTTP (\d+)/.exec(result.reason)?.[1] ?? 0);
    throw new ZendeskRequestError(status, `Zendesk request ${path} failed: ${result.reason}`);
  }

  private readRateHeaders(h: Record<string, string | string[] | undefined>): void {
    const remaining = numberHeader(h['ratelimit-remaining']) ?? numberHeader(h['x-rate-limit-remaining']);
    if (remaining !== undefined) this.metrics.rateLimitRemaining.set({ account: this.account.name }, remaining);
    this.limiter.observe(remaining, resetHeaderMs(h['ratelimit-reset'], this.clock.now()));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function numberHeader(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * `ratelimit-reset` -> ms to wait. On most endpoints it is seconds until the window resets;
 * the access-log 429 documents it only as "a date-time", so epoch seconds, ISO 8601 and
 * HTTP-dates are accepted too.
 */
export function resetHeaderMs(v: string | string[] | undefined, now: number): number | undefined {
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  if (!s) return undefined;
  const n = Number(s);
  if (Number.isFinite(n)) return n > 1e9 ? Math.max(0, n * 1000 - now) : Math.max(0, n * 1000);
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Zendesk's error bodies: `{"error","description"}` or `{"errors":[{"title","detail"}]}`. */
export function zendeskError(text: string): string {
  try {
    const b = JSON.parse(text) as { error?: unknown; description?: unknown; errors?: { title?: string; detail?: string }[] };
    if (Array.isArray(b.errors)) return b.errors.map((e) => [e.title, e.detail].filter(Boolean).join(': ')).join('; ');
    if (b.error !== undefined) {
      const err = typeof b.error === 'string' ? b.error : JSON.stringify(b.error);
      return b.description ? `${err}: ${String(b.description)}` : err;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300);
}

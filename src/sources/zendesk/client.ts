// One HTTP client per Zendesk account (undici Pool with keep-alive), shared by its streams.
// Every request goes through the account's rate limiter and the shared retry helper:
// 429 honours Retry-After (or ratelimit-reset for the access-log 429, which has no
// Retry-After), 5xx / timeouts / resets back off with jitter, a malformed JSON page is
// retried a few times. 401/403: with --once the stream stops with Zendesk's own error text;
// when following, the stream reports unhealthy, backs off (authBackoff doubling to 10 min,
// jittered), re-reads a credential that came from `${file:...}` (a rotated secret) and
// tries again, and reports healthy once Zendesk accepts it.

import { isUtf8 } from 'node:buffer';
import { Pool, type Dispatcher } from 'undici';
import { backoffDelay, describeError, retry, type AttemptOutcome } from '../../core/retry.js';
import { parseRetryAfter } from '../../http/retry-after.js';
import type { ComponentContext } from '../../core/types.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ZendeskAccountConfig } from './account-config.js';
import { AccountRateLimiter, DEFAULT_FAMILY, type Grant, type RateStateStore } from './rate-limiter.js';

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
  /** A source's context; with `once` an auth failure ends the stream instead of waiting for a fixed credential. */
  ctx: ComponentContext & { once?: boolean };
  signal: AbortSignal;
  /** --once mode gives up after this many attempts instead of retrying forever. */
  maxAttempts?: number;
  /** Per-request timeout of the calling source (the client is shared by an account's streams). */
  timeoutMs?: number;
}

export interface ZendeskClientOptions {
  requestTimeoutMs?: number;
  /** Rate-limit window; 60 s as Zendesk's. Tests shrink it (account `rateWindow`). */
  windowMs?: number;
  userAgent?: string;
  /** Where the account's spent request budget is kept between processes. */
  rateState?: RateStateStore;
  /** The account's credentials read again (rotated secret files); undefined when none came from a file. */
  rereadAuth?: () => ZendeskAccountConfig['auth'] | undefined;
  /** Warnings of the client itself (state file problems). */
  warn?: (message: string, err?: unknown) => void;
}

const MALFORMED_ATTEMPTS = 3;
const AUTH_BACKOFF_MAX_MS = 600_000;
/**
 * Endpoint families that have a budget of their own and send no account headers (the access-log
 * API). Zendesk does not say whether they count against the account too; the limiter assumes
 * they do until an account header proves otherwise.
 */
const OWN_BUDGET: ReadonlySet<string> = new Set(['access_logs']);

type AttemptResult = Awaited<ReturnType<typeof retry<{ body: Record<string, unknown>; text: string }>>>;

export class ZendeskClient {
  readonly origin: string;
  readonly limiter: AccountRateLimiter;
  private pool: Dispatcher;
  private auth: string;
  private warnedUtf8 = new Set<string>();

  constructor(
    readonly account: ZendeskAccountConfig,
    private clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void>; random(): number },
    private metrics: Metrics,
    private opts: ZendeskClientOptions = {},
  ) {
    this.origin = new URL(account.baseUrl ?? `https://${account.subdomain}.zendesk.com`).origin;
    // Enough connections for every stream of the account with one page requested ahead: a
    // request granted by the limiter does not queue behind another stream's for a socket.
    this.pool = new Pool(this.origin, { connections: 8, keepAliveTimeout: 30_000, pipelining: 1 });
    this.auth = authorization(account.auth);
    this.limiter = new AccountRateLimiter(account.requestsPerMinute, clock, {
      windowMs: opts.windowMs ?? account.rateWindow ?? 60_000,
      ...(opts.rateState ? { store: opts.rateState } : {}),
      ...(opts.warn ? { warn: opts.warn } : {}),
      ownBudgetFamilies: OWN_BUDGET,
    });
  }

  /**
   * Path + query on this account's origin. Zendesk's `links.next` URLs are absolute; only
   * their path and query are used, so a baseUrl override (proxy, simulator) keeps working.
   */
  resolve(pathOrUrl: string): string {
    const u = new URL(pathOrUrl, this.origin);
    return `${u.pathname}${u.search}`;
  }

  /**
   * One page: its parsed body, its text (what a transform worker parses again rather than
   * receive the records copied), and its size on the wire (`bytes`, what a caller holding pages bounds).
   */
  async getJson(pathOrUrl: string, o: GetOptions): Promise<{ body: Record<string, unknown>; text: string; url: string; bytes: number }> {
    const path = this.resolve(pathOrUrl);
    const url = `${this.origin}${path}`;
    for (let authFailures = 0; ; authFailures++) {
      const { result, lastBody, bytes } = await this.attempts(path, url, o);
      if (result.kind === 'ok') {
        if (authFailures > 0) {
          o.ctx.setHealthy(true);
          o.ctx.logger.info({ path }, 'Zendesk accepts the credentials again');
        }
        return { body: result.value.body, text: result.value.text, url, bytes };
      }
      if (result.kind === 'auth') {
        const err = new ZendeskAuthError(
          Number(/HTTP (\d+)/.exec(result.reason)?.[1] ?? 401),
          `Zendesk rejected the credentials of account "${this.account.name}" (${result.reason}) for ${path}. Check the API token / OAuth token, its scopes and that the plan includes this log.`,
        );
        if (o.ctx.once) throw err;
        // Keep the checkpoint, say so on /readyz, and try again slowly: a rotated secret or a
        // fixed permission heals without a restart.
        o.ctx.setHealthy(false, err.message);
        const floor = this.account.authBackoff ?? 30_000;
        const delayMs = Math.max(floor, backoffDelay(authFailures, { initialMs: floor, maxMs: AUTH_BACKOFF_MAX_MS }, this.clock.random));
        o.ctx.logger.error({ path, status: err.status, retryInMs: delayMs }, 'Zendesk rejected the credentials; retrying later');
        await o.ctx.sleep(delayMs, o.signal);
        this.refreshCredentials(o.ctx);
        continue;
      }
      if (result.kind === 'permanent' && result.reason.startsWith('malformed:')) throw new MalformedPageError(url, lastBody, result.reason.slice(10));
      const status = Number(/HTTP (\d+)/.exec(result.reason)?.[1] ?? 0);
      throw new ZendeskRequestError(status, `Zendesk request ${path} failed: ${result.reason}`);
    }
  }

  /** Reads `${file:...}` credentials again; a changed value is used from the next request on. */
  private refreshCredentials(ctx: ComponentContext): void {
    let auth: ZendeskAccountConfig['auth'] | undefined;
    try {
      auth = this.opts.rereadAuth?.();
    } catch (err) {
      ctx.logger.warn({ err: describeError(err) }, 'cannot re-read the Zendesk credential file');
      return;
    }
    if (!auth) return;
    const next = authorization(auth);
    if (next === this.auth) return;
    this.auth = next;
    ctx.logger.info({ account: this.account.name }, 'Zendesk credentials re-read from their file');
  }

  /** One request with its retries (rate limit, 5xx, timeouts, malformed pages). */
  private async attempts(path: string, url: string, o: GetOptions): Promise<{ result: AttemptResult; lastBody: string; bytes: number }> {
    const family = o.endpoint ?? DEFAULT_FAMILY;
    let malformed = 0;
    let lastBody = '';
    let size = 0;
    const result = await retry<{ body: Record<string, unknown>; text: string }>(
      async (): Promise<AttemptOutcome<{ body: Record<string, unknown>; text: string }>> => {
        const grant = await this.limiter.acquire(family, o.endpointLimit, o.signal);
        // A request that fails stays "in flight" for the limiter: it may still reach Zendesk.
        const res = await this.pool.request({
          method: 'GET',
          path,
          headers: { authorization: this.auth, accept: 'application/json', 'user-agent': this.opts.userAgent ?? 'zendesk-siem-forwarder' },
          signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs ?? this.opts.requestTimeoutMs ?? 60_000)]),
        });
        this.limiter.complete(grant, res.statusCode >= 200 && res.statusCode < 300);
        const bytes = Buffer.from(await res.body.arrayBuffer());
        size = bytes.length;
        const text = bytes.toString('utf8');
        this.metrics.componentReceivedBytes.inc({ component: o.ctx.id, kind: 'source' }, bytes.length);
        this.metrics.sourceRequests.inc({ source: o.ctx.id, code: String(res.statusCode) });
        this.readRateHeaders(res.headers, family, grant);
        const status = res.statusCode;
        if (status === 200) {
          // Decoding replaces invalid bytes with U+FFFD; the data still flows, but it is counted and said once.
          if (!isUtf8(bytes)) this.invalidUtf8(o.ctx, path);
          try {
            const body = JSON.parse(text) as unknown;
            if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('expected a JSON object');
            return { kind: 'ok', value: { body: body as Record<string, unknown>, text } };
          } catch (err) {
            lastBody = text;
            if (++malformed >= MALFORMED_ATTEMPTS) return { kind: 'permanent', reason: `malformed:${describeError(err)}` };
            return { kind: 'retry', reason: `malformed JSON page: ${describeError(err)}` };
          }
        }
        const detail = zendeskError(text);
        if (status === 429) {
          const wait = parseRetryAfter(res.headers['retry-after'] as string | undefined, this.clock.now()) ?? resetHeaderMs(res.headers['ratelimit-reset'], this.clock.now()) ?? 60_000;
          if (this.endpointOnly429(res.headers, family)) this.limiter.pauseEndpoint(family, wait);
          else this.limiter.pauseFor(wait);
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
    return { result, lastBody, bytes: size };
  }

  private invalidUtf8(ctx: ComponentContext, path: string): void {
    this.metrics.sourceInvalidUtf8.inc({ source: ctx.id });
    if (this.warnedUtf8.has(ctx.id)) return;
    this.warnedUtf8.add(ctx.id);
    ctx.logger.warn({ path }, 'Zendesk sent a page that is not valid UTF-8; invalid bytes became U+FFFD (counted in zsf_source_invalid_utf8_total, said once)');
  }

  /**
   * Whether a 429 concerns only this endpoint: the access-log API has a budget of its own, and
   * an endpoint header saying "0 remaining" while the account still has some names the culprit.
   * Without such evidence the whole account pauses (the safe side).
   */
  private endpointOnly429(h: Record<string, string | string[] | undefined>, family: string): boolean {
    if (OWN_BUDGET.has(family)) return true;
    const exhausted = endpointLimitHeaders(h).some((l) => l.remaining !== undefined && l.remaining <= 0);
    const account = numberHeader(h['ratelimit-remaining']) ?? numberHeader(h['x-rate-limit-remaining']);
    return exhausted && account !== undefined && account > 0;
  }

  /**
   * Account headers slow the account; `Zendesk-RateLimit-<name>` headers slow the endpoint of
   * the request that got them (a response reports the limits that request was counted in).
   */
  private readRateHeaders(h: Record<string, string | string[] | undefined>, family: string, grant: Grant): void {
    const now = this.clock.now();
    for (const l of endpointLimitHeaders(h)) this.limiter.observeEndpoint(family, { total: l.total, remaining: l.remaining, resetMs: l.resetSec !== undefined ? l.resetSec * 1000 : undefined });
    const remaining = numberHeader(h['ratelimit-remaining']) ?? numberHeader(h['x-rate-limit-remaining']);
    const resetMs = resetHeaderMs(h['ratelimit-reset'], now);
    if (OWN_BUDGET.has(family)) {
      this.limiter.observeEndpoint(family, { remaining, resetMs });
      return;
    }
    if (remaining !== undefined) this.metrics.rateLimitRemaining.set({ account: this.account.name }, remaining);
    const limit = numberHeader(h['ratelimit-limit']) ?? numberHeader(h['x-rate-limit']);
    this.limiter.observe(remaining, resetMs, { grant, limit });
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.limiter.close();
  }
}

function authorization(auth: ZendeskAccountConfig['auth']): string {
  return auth.type === 'token' ? `Basic ${Buffer.from(`${auth.email}/token:${auth.token}`).toString('base64')}` : `Bearer ${auth.accessToken}`;
}

export interface EndpointLimit {
  /** Header name after `zendesk-ratelimit-`, e.g. `incremental-exports`, `tickets-index`. */
  name: string;
  total?: number;
  remaining?: number;
  resetSec?: number;
}

/**
 * Zendesk's per-endpoint headers, e.g. `zendesk-ratelimit-tickets-index: total=100; remaining=99; resets=41`
 * (developer.zendesk.com, "Best practices for avoiding rate limiting"). Unknown keys are ignored.
 */
export function endpointLimitHeaders(h: Record<string, string | string[] | undefined>): EndpointLimit[] {
  const out: EndpointLimit[] = [];
  for (const [key, value] of Object.entries(h)) {
    const m = /^zendesk-ratelimit-(.+)$/i.exec(key);
    if (!m || value === undefined) continue;
    const l = parseEndpointLimit(m[1]!.toLowerCase(), Array.isArray(value) ? value[0]! : value);
    if (l) out.push(l);
  }
  return out;
}

export function parseEndpointLimit(name: string, value: string): EndpointLimit | undefined {
  const l: EndpointLimit = { name };
  for (const part of value.split(/[;,]/)) {
    const [k, v] = part.split('=').map((x) => x.trim().toLowerCase());
    const n = Number(v);
    if (!k || v === undefined || v === '' || !Number.isFinite(n) || n < 0) continue;
    if (k === 'total') l.total = n;
    else if (k === 'remaining') l.remaining = n;
    else if (k === 'resets') l.resetSec = n;
  }
  return l.total === undefined && l.remaining === undefined ? undefined : l;
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

// The one retry loop of the product. Sources and sinks describe each attempt's outcome;
// this decides whether and how long to wait: exponential backoff with full jitter
// (AWS architecture blog, "Exponential Backoff And Jitter"), capped, honouring a Retry-After
// that the caller already turned into `retryAfterMs` (src/http/retry-after.ts parses the header).

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  multiplier?: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 60_000, multiplier: 2 };
/** Auth failures are retried slowly: someone has to fix a token, hammering will not help. */
export const AUTH_BACKOFF: BackoffPolicy = { initialMs: 30_000, maxMs: 300_000, multiplier: 2 };

export type AttemptOutcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'permanent'; reason: string }
  | { kind: 'auth'; reason: string };

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  kind: 'retry' | 'auth';
  reason: string;
}

export interface RetryOptions {
  policy?: BackoffPolicy;
  /** Total attempts before a `retry` outcome is returned to the caller. Default: unlimited. */
  maxAttempts?: number;
  /** When set, `auth` outcomes are retried with this policy instead of returned. */
  authPolicy?: BackoffPolicy;
  signal?: AbortSignal;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  /** Maps a thrown error to an outcome. Default: `retry` with the error message. */
  classifyError?: (err: unknown) => AttemptOutcome<never>;
  onRetry?: (info: RetryInfo) => void;
}

/** Full jitter: uniform in [0, min(max, initial * multiplier^attempt)]. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.multiplier ?? 2, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * Equal jitter: uniform in [ceiling/2, ceiling], ceiling = min(max, initial * 2^attempt).
 * For restarts, where full jitter's near-zero waits would turn a persistent failure into a busy loop.
 */
export function restartDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.multiplier ?? 2, attempt));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortError';
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * Runs `fn` until it returns `ok` or `permanent` (or `auth` without authPolicy, or `retry`
 * after maxAttempts). The wait after a retryable outcome is the larger of the server's
 * Retry-After and the jittered backoff floor, so a server's wish is never undercut.
 * Throws AbortedError when the signal aborts.
 */
export async function retry<T>(fn: (attempt: number) => Promise<AttemptOutcome<T>>, opts: RetryOptions): Promise<AttemptOutcome<T>> {
  const policy = opts.policy ?? DEFAULT_BACKOFF;
  const classify = opts.classifyError ?? ((err: unknown) => ({ kind: 'retry', reason: describeError(err) }) as const);
  let retries = 0;
  let authRetries = 0;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw new AbortedError();
    let outcome: AttemptOutcome<T>;
    try {
      outcome = await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw new AbortedError();
      outcome = classify(err);
    }
    if (outcome.kind === 'ok' || outcome.kind === 'permanent') return outcome;
    let delayMs: number;
    if (outcome.kind === 'auth') {
      if (!opts.authPolicy) return outcome;
      delayMs = backoffDelay(authRetries++, opts.authPolicy, opts.random);
      // Never poll a broken credential faster than the policy's floor.
      delayMs = Math.max(delayMs, opts.authPolicy.initialMs);
    } else {
      if (opts.maxAttempts !== undefined && attempt >= opts.maxAttempts) return outcome;
      const jittered = backoffDelay(retries++, policy, opts.random);
      delayMs = outcome.retryAfterMs !== undefined ? Math.max(outcome.retryAfterMs, Math.min(jittered, policy.initialMs)) : jittered;
    }
    opts.onRetry?.({ attempt, delayMs, kind: outcome.kind, reason: outcome.reason });
    await opts.sleep(delayMs, opts.signal);
  }
}

/** An abortable sleep; rejects with AbortedError when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

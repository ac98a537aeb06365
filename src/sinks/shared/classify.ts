// The default mapping of an HTTP answer to a delivery outcome, which every network sink
// starts from and refines with its protocol's own codes (docs/adding-a-sink.md).

import type { SendOutcome } from '../../core/types.js';
import { parseRetryAfter } from '../../http/retry-after.js';

export type Headers = Record<string, string | string[] | undefined>;
export type RetryOutcome = Extract<SendOutcome, { kind: 'retry' }>;

/** First value of a header (undici gives arrays for repeated headers; names are lower-case). */
export function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The one redirect rule of every sink: a 3xx is not followed (it would drop the body or send
 * the credentials to a host nobody configured) and is retried, so the data stays in the buffer
 * while the reason, naming the Location, tells the operator to fix the endpoint.
 */
export function redirectOutcome(reason: string, headers: Headers): RetryOutcome {
  const location = headerValue(headers, 'location');
  return { kind: 'retry', reason: `${reason}; redirected${location ? ` to ${location}` : ''}: fix the endpoint` };
}

/** `retry` with the server's Retry-After, when it sent one. */
export function retryOutcome(reason: string, headers: Headers, now: number): RetryOutcome {
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'), now);
  return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
}

/**
 * 2xx ok; 3xx retry (redirectOutcome); 401/403 auth; 413 too_large; 408, 429 and 5xx except
 * 501 retry (with Retry-After); other 4xx (and 501) permanent. `reason` defaults to
 * "HTTP <status>: <body text>".
 */
export function classifyHttpStatus(status: number, headers: Headers, bodyText: string, now: number, reason?: string): SendOutcome {
  const detail = reason ?? `HTTP ${status}${bodyText ? `: ${bodyText.slice(0, 500)}` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status >= 300 && status < 400) return redirectOutcome(detail, headers);
  if (status === 401 || status === 403) return { kind: 'auth', reason: detail };
  if (status === 413) return { kind: 'too_large', reason: detail };
  if (status === 408 || status === 429 || (status >= 500 && status !== 501)) return retryOutcome(detail, headers, now);
  return { kind: 'permanent', reason: detail };
}

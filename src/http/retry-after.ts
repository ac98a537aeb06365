// The HTTP `Retry-After` header, shared by the sinks' HTTP layer and the Zendesk client.
// The delivery core never parses headers: sinks hand it `retryAfterMs` in their outcome.

/** `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns ms, or undefined. */
export function parseRetryAfter(value: string | string[] | undefined | null, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === null) return undefined;
  const trimmed = v.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

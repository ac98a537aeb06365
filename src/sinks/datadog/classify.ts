// The classification of Datadog Logs intake answers (pure).
//
// Status -> outcome (Datadog "Send logs" API reference):
//   202 (any 2xx)          ok
//   400                    permanent (dead letter, with Datadog's error detail)
//   401, 403               auth (sending stops, data kept, long backoff)
//   408, 429, 5xx but 501  retry (Retry-After honoured; X-RateLimit-Reset as a fallback on 429)
//   413                    too_large (the core halves the batch; a single event is dead-lettered)
//   3xx                    retry (redirects are not followed: fix the endpoint; the data is kept)
//   other 4xx, 501         permanent

import type { SendOutcome } from '../../core/types.js';
import { classifyHttpStatus } from '../shared/classify.js';

/** Datadog error bodies: {"errors":[{"status","title","detail"}]} or {"errors":["..."]}. */
export function describeDatadogError(status: number, text: string): string {
  let detail = text.slice(0, 500);
  try {
    const v = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(v.errors) && v.errors.length) {
      detail = v.errors
        .map((e) => {
          if (typeof e === 'string') return e;
          if (e && typeof e === 'object') {
            const o = e as { title?: unknown; detail?: unknown };
            return [o.title, o.detail].filter((x) => typeof x === 'string' && x).join(': ');
          }
          return '';
        })
        .filter(Boolean)
        .join('; ')
        .slice(0, 500);
    }
  } catch {
    /* not JSON: keep the text */
  }
  return `Datadog HTTP ${status}${detail ? `: ${detail}` : ''}`;
}

export function classifyDatadogResponse(status: number, headers: Record<string, string>, text: string, now: number): SendOutcome {
  const reason = describeDatadogError(status, text);
  const outcome = classifyHttpStatus(status, headers, '', now, reason);
  if (outcome.kind === 'ok' || outcome.kind === 'partial') return outcome;
  if (outcome.kind === 'retry' && outcome.retryAfterMs === undefined && status === 429) {
    const reset = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(reset) && reset > 0) return { kind: 'retry', reason, retryAfterMs: Math.ceil(reset * 1000) };
  }
  return outcome;
}

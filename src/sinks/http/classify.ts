// The answer of a generic HTTP endpoint -> delivery outcome. A generic endpoint has no
// protocol codes of its own, so this is the shared default (src/sinks/shared/classify.ts):
//
//   2xx                      ok
//   3xx                      retry (not followed; the reason names the Location)
//   401, 403                 auth (sending stops, data kept, long backoff)
//   413                      too_large (the core halves the batch)
//   408, 429, 5xx but 501    retry, honouring Retry-After
//   501, other 4xx           permanent (dead letter with the endpoint's text): 501 says the
//                            server does not implement the method, which no retry changes

import type { SendOutcome } from '../../core/types.js';
import { classifyHttpStatus, type Headers } from '../shared/classify.js';

export function classifyHttpSinkResponse(status: number, headers: Headers, bodyText: string, now: number): SendOutcome {
  const text = bodyText.replace(/\s+/g, ' ').trim();
  return classifyHttpStatus(status, headers, text, now, `HTTP ${status}${text ? `: ${text.slice(0, 500)}` : ''}`);
}

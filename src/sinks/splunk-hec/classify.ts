// The classification of Splunk HEC answers (pure: status, headers and body text in, verdict out).
//
// HEC answers {"text": "...", "code": N} (plus "ackId" on success with indexer
// acknowledgement, and "invalid-event-number" when one event of a batch is bad). The code
// table (Splunk "Troubleshoot HTTP Event Collector" / "HTTP Event Collector REST API"):
//
//   code  HTTP  text                                         -> outcome
//   0     200   Success                                      -> ok (after the ack, when enabled)
//   1     403   Token disabled                               -> auth
//   2     401   Token is required                            -> auth
//   3     401   Invalid authorization                        -> auth
//   4     403   Invalid token                                -> auth
//   5     400   No data                                      -> permanent (dead letter)
//   6     400   Invalid data format                          -> that event rejected (invalid-event-number), else permanent
//   7     400   Incorrect index                              -> events with that index rejected, else permanent
//   8     500   Internal server error                        -> retry
//   9     503   Server is busy                               -> retry (Retry-After honoured)
//   10    400   Data channel is missing                      -> permanent
//   11    400   Invalid data channel                         -> permanent
//   12    400   Event field is required                      -> that event rejected, else permanent
//   13    400   Event field cannot be blank                  -> that event rejected, else permanent
//   14    400   ACK is disabled                              -> permanent (on /ack: acks treated as unsupported)
//   15    400   Error in handling indexed fields             -> that event rejected, else permanent
//   16    400   Query string authorization is not enabled    -> auth
//   17    200   HEC is healthy                               -> (health)
//   18-20 503   HEC is unhealthy (queues full / ack service) -> retry
//   413         Content too large                            -> too_large (the core halves the batch)
//   other: the shared default (src/sinks/shared/classify.ts): 2xx ok; 3xx retry (redirects are
//   not followed: fix the endpoint; the data is kept); 401/403 auth; 408, 429, 5xx except 501
//   retry; other 4xx permanent.
//

import type { SendOutcome } from '../../core/types.js';
import { classifyHttpStatus, redirectOutcome, retryOutcome, type Headers } from '../shared/classify.js';
import type { AckPollResult } from './acks.js';

export interface HecReply {
  text?: string;
  code?: number;
  ackId?: number;
  invalidEventNumber?: number;
}

export function parseHecReply(text: string): HecReply | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    const r: HecReply = {};
    if (typeof v.text === 'string') r.text = v.text;
    if (typeof v.code === 'number') r.code = v.code;
    const ack = typeof v.ackId === 'string' && /^\d+$/.test(v.ackId) ? Number(v.ackId) : v.ackId;
    if (typeof ack === 'number' && Number.isInteger(ack)) r.ackId = ack;
    const n = v['invalid-event-number'];
    const num = typeof n === 'string' && /^\d+$/.test(n) ? Number(n) : n;
    if (typeof num === 'number' && Number.isInteger(num)) r.invalidEventNumber = num;
    return r;
  } catch {
    return undefined;
  }
}

const AUTH_CODES = new Set([1, 2, 3, 4, 16]);
const RETRY_CODES = new Set([8, 9, 18, 19, 20]);
const EVENT_CODES = new Set([6, 7, 12, 13, 15]);

export type HecVerdict =
  | { kind: 'accepted'; ackId?: number }
  /** One event of the request was rejected; `position` is its index in the request. */
  | { kind: 'invalid_event'; position: number; code: number; reason: string }
  | Exclude<SendOutcome, { kind: 'ok' } | { kind: 'partial' }>;

export function describeHecReply(status: number, reply: HecReply | undefined, text: string): string {
  if (reply && (reply.text !== undefined || reply.code !== undefined)) {
    const n = reply.invalidEventNumber !== undefined ? ` (invalid-event-number ${reply.invalidEventNumber})` : '';
    return `HEC HTTP ${status}${reply.code !== undefined ? ` code ${reply.code}` : ''}: ${reply.text ?? ''}${n}`;
  }
  return `HEC HTTP ${status}${text ? `: ${text.slice(0, 500)}` : ''}`;
}

export function classifyHecResponse(res: { status: number; headers: Headers; text: string }, now: number): HecVerdict {
  const { status } = res;
  const reply = parseHecReply(res.text);
  const reason = describeHecReply(status, reply, res.text);
  if (status >= 200 && status < 300) return reply?.ackId !== undefined ? { kind: 'accepted', ackId: reply.ackId } : { kind: 'accepted' };
  const code = reply?.code;
  if (status >= 300 && status < 400) return redirectOutcome(reason, res.headers);
  if (status === 413) return { kind: 'too_large', reason };
  if ((code !== undefined && AUTH_CODES.has(code)) || status === 401 || status === 403) return { kind: 'auth', reason };
  if ((code !== undefined && RETRY_CODES.has(code)) || status === 408 || status === 429 || (status >= 500 && status !== 501)) {
    return retryOutcome(reason, res.headers, now);
  }
  if (status >= 400 && status < 500 && code !== undefined && EVENT_CODES.has(code) && reply?.invalidEventNumber !== undefined) {
    return { kind: 'invalid_event', position: reply.invalidEventNumber, code, reason };
  }
  const generic = classifyHttpStatus(status, res.headers, '', now, reason);
  if (generic.kind === 'ok' || generic.kind === 'partial') return { kind: 'permanent', reason };
  return generic;
}

/** The answer of /services/collector/ack. */
export function classifyAckReply(status: number, text: string): AckPollResult {
  const reply = parseHecReply(text);
  const reason = describeHecReply(status, reply, text);
  if (status >= 200 && status < 300) {
    try {
      const parsed = JSON.parse(text) as { acks?: unknown };
      if (parsed.acks && typeof parsed.acks === 'object') return { kind: 'acks', acks: parsed.acks as Record<string, boolean> };
    } catch {
      /* fall through */
    }
    return { kind: 'error', reason: `unexpected /ack answer: ${reason}` };
  }
  if (status === 401 || status === 403 || (reply?.code !== undefined && AUTH_CODES.has(reply.code))) return { kind: 'auth', reason };
  if (reply?.code === 14) return { kind: 'disabled', reason };
  return { kind: 'error', reason };
}

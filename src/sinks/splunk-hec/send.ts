// One delivery to Splunk HEC and the classification of its answer.
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
//   other: 2xx ok; 3xx retry (redirects are not followed: fix the endpoint; the data is kept);
//   401/403 auth; 408, 429, 5xx except 501 retry; other 4xx permanent.
//
// An event-level rejection names the first bad event. HEC processes a batch as a stream, so
// the events before it have usually been indexed and the ones after it have not; this driver
// does not rely on either: it drops the bad event and resends all the others in a follow-up
// request within the same send (so nothing is lost; the ones before may be indexed twice,
// which at-least-once allows and the event id in the body lets the SIEM dedupe).

import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { BuildEnv } from '../../core/plugin.js';
import { parseRetryAfter } from '../../core/retry.js';
import type { SendOutcome, SinkDriver, SinkEvent } from '../../core/types.js';
import { buildDispatcher, classifyHttpStatus, compress } from '../shared/http.js';
import { headerValue, httpRequest, type HttpResponse } from '../shared/request.js';
import { AckTracker, type AckPollResult, type AckWaitResult } from './acks.js';
import type { HecConfig } from './config.js';
import { createHecEncoder, isBlankEvent, type HecMeta } from './encode.js';

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

export function classifyHecResponse(res: HttpResponse, now: number): HecVerdict {
  const { status } = res;
  const reply = parseHecReply(res.text);
  const reason = describeHecReply(status, reply, res.text);
  if (status >= 200 && status < 300) return reply?.ackId !== undefined ? { kind: 'accepted', ackId: reply.ackId } : { kind: 'accepted' };
  const code = reply?.code;
  if (status >= 300 && status < 400) {
    // Redirects are not followed (they would drop the body or the token); keep the data and say so.
    const location = headerValue(res.headers, 'location');
    return { kind: 'retry', reason: `${reason}; redirected${location ? ` to ${location}` : ''}: fix the endpoint` };
  }
  if (status === 413) return { kind: 'too_large', reason };
  if ((code !== undefined && AUTH_CODES.has(code)) || status === 401 || status === 403) return { kind: 'auth', reason };
  if ((code !== undefined && RETRY_CODES.has(code)) || status === 408 || status === 429 || (status >= 500 && status !== 501)) {
    const retryAfterMs = parseRetryAfter(headerValue(res.headers, 'retry-after'), now);
    return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
  }
  if (status >= 400 && status < 500 && code !== undefined && EVENT_CODES.has(code) && reply?.invalidEventNumber !== undefined) {
    return { kind: 'invalid_event', position: reply.invalidEventNumber, code, reason };
  }
  const generic = classifyHttpStatus(status, res.headers, '', now);
  if (generic.kind === 'ok' || generic.kind === 'partial') return { kind: 'permanent', reason };
  return { ...generic, reason };
}

const HEC_EVENT_PATH = '/services/collector/event';
const HEC_RAW_PATH = '/services/collector/raw';
const HEC_ACK_PATH = '/services/collector/ack';
const HEC_HEALTH_PATH = '/services/collector/health';

export interface HecDriver extends SinkDriver {
  readonly channel: string;
  readonly acks: AckTracker | undefined;
}

export function createHecDriver(config: HecConfig, env: Pick<BuildEnv, 'logger' | 'metrics' | 'secrets'> & Partial<Pick<BuildEnv, 'resolvePath'>> & { now?: () => number }): HecDriver {
  const now = env.now ?? Date.now;
  const labels = { sink: config.id };
  const dispatcher: Dispatcher = buildDispatcher({ tls: config.tls, proxy: config.proxy, connections: 64, ...(env.resolvePath ? { resolvePath: env.resolvePath } : {}) });
  const base = new URL(config.endpoint);
  const prefix = base.pathname.replace(/\/+$/, '');
  const url = (path: string, query?: Record<string, string>) => {
    const u = new URL(base.origin);
    u.pathname = prefix + path;
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u;
  };
  const channel = config.channel ?? randomUUID();
  const auth = `Splunk ${config.token}`;
  const encoder = createHecEncoder(config);
  const scrub = (s: string) => env.secrets.scrub(s);
  const requestTimeout = config.requestTimeout ?? 30_000;
  const ackCfg = config.acknowledgements;
  let warnedNoAckId = false;
  let lastPollWarning = -Infinity;
  let closed = false;
  let warnedAckDisabled = false;

  const batchMaxBytes = (config as { batch?: { maxBytes?: number } }).batch?.maxBytes;
  if (batchMaxBytes !== undefined && batchMaxBytes > config.maxContentLength) {
    env.logger.warn(
      { sink: config.id, batchMaxBytes, maxContentLength: config.maxContentLength },
      'batch.maxBytes is above maxContentLength: most batches will be split before they can be sent; lower batch.maxBytes',
    );
  }
  if (ackCfg.enabled && ackCfg.timeout >= requestTimeout) {
    env.logger.warn(
      { sink: config.id, ackTimeout: ackCfg.timeout, requestTimeout },
      'acknowledgements.timeout is not below requestTimeout: a missing ack will end as a request timeout (the batch is still resent)',
    );
  }

  const acks = ackCfg.enabled
    ? new AckTracker({
        intervalMs: ackCfg.queryInterval,
        pollTimeoutMs: Math.min(requestTimeout, 30_000),
        poll: pollAcks,
        onPollError: (reason) => {
          // One warning per 30 s at most: a busy HEC can fail every poll.
          if (now() - lastPollWarning < 30_000) return;
          lastPollWarning = now();
          env.logger.warn({ sink: config.id, channel, reason: scrub(reason) }, 'HEC ack poll failed; will poll again until the ack timeout');
        },
      })
    : undefined;

  const baseHeaders = (contentType: string): Record<string, string> => ({
    authorization: auth,
    'content-type': contentType,
    'x-splunk-request-channel': channel,
    'user-agent': 'zendesk-siem-forwarder',
  });

  async function pollAcks(ids: number[], signal: AbortSignal): Promise<AckPollResult> {
    const res = await httpRequest({
      dispatcher,
      url: url(HEC_ACK_PATH, { channel }),
      headers: baseHeaders('application/json'),
      body: JSON.stringify({ acks: ids }),
      signal,
    });
    const reply = parseHecReply(res.text);
    const reason = describeHecReply(res.status, reply, res.text);
    if (res.status >= 200 && res.status < 300) {
      try {
        const parsed = JSON.parse(res.text) as { acks?: unknown };
        if (parsed.acks && typeof parsed.acks === 'object') return { kind: 'acks', acks: parsed.acks as Record<string, boolean> };
      } catch {
        /* fall through */
      }
      return { kind: 'error', reason: `unexpected /ack answer: ${reason}` };
    }
    if (res.status === 401 || res.status === 403 || (reply?.code !== undefined && AUTH_CODES.has(reply.code))) return { kind: 'auth', reason };
    if (reply?.code === 14) return { kind: 'disabled', reason };
    return { kind: 'error', reason };
  }

  async function post(raw: Buffer, path: string, query: Record<string, string> | undefined, contentType: string, signal: AbortSignal): Promise<HttpResponse> {
    const c = await compress(raw, config.compression);
    const headers = baseHeaders(contentType);
    if (c.encoding) headers['content-encoding'] = c.encoding;
    env.metrics.sinkBytesUncompressed.inc(labels, raw.length);
    env.metrics.sinkBytesSent.inc(labels, c.body.length);
    return httpRequest({ dispatcher, url: url(path, query), headers, body: c.body, signal });
  }

  async function awaitAck(ackId: number | undefined, signal: AbortSignal): Promise<SendOutcome> {
    if (!acks) return { kind: 'ok' };
    if (ackId === undefined) {
      if (!warnedNoAckId) {
        warnedNoAckId = true;
        env.logger.warn(
          { sink: config.id },
          'acknowledgements are enabled but HEC answered without an ackId (indexer acknowledgement is off for this token); a 200 counts as delivered',
        );
      }
      return { kind: 'ok' };
    }
    const r: AckWaitResult = await acks.wait(ackId, ackCfg.timeout, signal);
    switch (r.kind) {
      case 'acked':
        return { kind: 'ok' };
      case 'timeout':
        return { kind: 'retry', reason: `no indexer acknowledgement for ackId ${ackId} on channel ${channel} within ${ackCfg.timeout} ms; resending` };
      case 'aborted':
        return { kind: 'retry', reason: `stopped waiting for the indexer acknowledgement of ackId ${ackId} (request timeout or shutdown); resending` };
      case 'auth':
        return { kind: 'auth', reason: scrub(r.reason) };
      case 'disabled':
        if (!warnedAckDisabled) {
          warnedAckDisabled = true;
          env.logger.warn({ sink: config.id, reason: r.reason }, 'HEC says indexer acknowledgement is disabled; a 200 counts as delivered');
        }
        return { kind: 'ok' };
    }
  }

  function tooLarge(bytes: number): SendOutcome {
    return { kind: 'too_large', reason: `encoded request is ${bytes} bytes, above maxContentLength ${config.maxContentLength}` };
  }

  async function sendEventMode(events: SinkEvent[], signal: AbortSignal): Promise<SendOutcome> {
    const rejected: { index: number; reason: string }[] = [];
    const live: number[] = [];
    events.forEach((e, i) => {
      // HEC refuses a blank event (code 13) and everything after it in the request: settle it here.
      if (isBlankEvent(e)) rejected.push({ index: i, reason: 'empty event body: HEC rejects it (code 13, Event field cannot be blank)' });
      else live.push(i);
    });
    if (live.length === 0) return { kind: 'partial', rejected };
    const encoded = encoder.eventBody(live.length === events.length ? events : live.map((i) => events[i]!), config.maxContentLength);
    if ('tooLarge' in encoded) return tooLarge(encoded.tooLarge);
    const res = await post(encoded.body, HEC_EVENT_PATH, undefined, 'application/json', signal);
    const v = classifyHecResponse(res, now());
    if (v.kind === 'accepted') {
      const acked = await awaitAck(v.ackId, signal);
      if (acked.kind !== 'ok' || rejected.length === 0) return acked;
      return { kind: 'partial', rejected };
    }
    if (v.kind !== 'invalid_event') return { ...v, reason: scrub(v.reason) };
    if (v.position < 0 || v.position >= live.length) {
      return { kind: 'permanent', reason: scrub(`${v.reason}; the position is outside the ${live.length} events sent`) };
    }
    // HEC stopped at that event: reject it (code 7, incorrect index: every event routed to
    // that index) and let the core send the others again. Splunk may have indexed the ones
    // before it already; sending them again is the at-least-once side of the trade.
    let bad: number[];
    if (v.code === 7) {
      const idx = encoder.meta(events[live[v.position]!]!).index;
      bad = live.filter((i) => encoder.meta(events[i]!).index === idx);
    } else bad = [live[v.position]!];
    for (const i of bad) rejected.push({ index: i, reason: scrub(v.reason) });
    env.logger.warn({ sink: config.id, rejected: bad.length, remaining: live.length - bad.length, reason: scrub(v.reason) }, 'HEC rejected an event; the rest of the batch is sent again');
    return { kind: 'partial', rejected, resendRest: true };
  }

  async function sendRawMode(events: SinkEvent[], signal: AbortSignal): Promise<SendOutcome> {
    // Raw requests carry their metadata in the query string: one request per distinct set.
    const groups = new Map<string, { meta: HecMeta; indices: number[] }>();
    events.forEach((e, i) => {
      const meta = encoder.meta(e);
      const key = JSON.stringify([meta.host, meta.source, meta.sourcetype, meta.index]);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { meta, indices: [] }));
      g.indices.push(i);
    });
    const rejected: { index: number; reason: string }[] = [];
    const waits: Promise<SendOutcome>[] = [];
    for (const g of groups.values()) {
      const encoded = encoder.rawBody(g.indices.length === events.length ? events : g.indices.map((i) => events[i]!), config.maxContentLength);
      if ('tooLarge' in encoded) return tooLarge(encoded.tooLarge);
      const query: Record<string, string> = { channel };
      for (const k of ['host', 'source', 'sourcetype', 'index'] as const) if (g.meta[k]) query[k] = g.meta[k];
      const res = await post(encoded.body, HEC_RAW_PATH, query, 'text/plain', signal);
      const v = classifyHecResponse(res, now());
      if (v.kind === 'accepted') waits.push(awaitAck(v.ackId, signal));
      else if (v.kind === 'permanent' || v.kind === 'invalid_event') for (const i of g.indices) rejected.push({ index: i, reason: scrub(v.reason) });
      else return { ...v, reason: scrub(v.reason) };
    }
    for (const r of await Promise.all(waits)) if (r.kind !== 'ok') return r;
    if (rejected.length === events.length) return { kind: 'permanent', reason: rejected[0]!.reason };
    return rejected.length ? { kind: 'partial', rejected } : { kind: 'ok' };
  }

  return {
    channel,
    acks,
    async healthcheck(signal) {
      const res = await httpRequest({ dispatcher, method: 'GET', url: url(HEC_HEALTH_PATH), headers: { authorization: auth, 'user-agent': 'zendesk-siem-forwarder' }, signal });
      if (res.status >= 200 && res.status < 300) return;
      throw new Error(scrub(`HEC health check failed: ${describeHecReply(res.status, parseHecReply(res.text), res.text)}`));
    },
    async send(events, signal) {
      if (events.length === 0) return { kind: 'ok' };
      return config.mode === 'raw' ? sendRawMode(events, signal) : sendEventMode(events, signal);
    },
    async close() {
      if (closed) return;
      closed = true;
      acks?.close();
      await dispatcher.close();
    },
  };
}

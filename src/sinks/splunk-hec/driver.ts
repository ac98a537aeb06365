// One delivery attempt to Splunk HEC: encode (encode.ts), send through the shared HTTP layer
// (gzip, TLS, byte metrics), classify (classify.ts). With indexer acknowledgements the attempt
// also waits for its ackId (acks.ts); a missing ack is a `retry`.
//
// An event-level rejection (invalid-event-number) names the first bad event. HEC processes a
// batch as a stream, so the events before it have usually been indexed and the ones after it
// have not; the driver does not rely on either: it rejects the bad event and answers `partial`
// with `resendRest`, and the core sends all the others again as a new attempt (so nothing is
// lost; the ones before may be indexed twice, which at-least-once allows and the event id in
// the body lets the SIEM dedupe).

import { randomUUID } from 'node:crypto';
import type { BuildEnv } from '../../core/plugin.js';
import type { EncodingMemo, SendOutcome, SinkDriver, SinkEvent } from '../../core/types.js';
import { reuseEncoding } from '../shared/encoding-memo.js';
import { createHttpTransport, type PreparedBody } from '../shared/http.js';
import type { HttpResponse } from '../shared/request.js';
import { AckTracker, type AckPollResult, type AckWaitResult } from './acks.js';
import { classifyAckReply, classifyHecResponse, describeHecReply, parseHecReply } from './classify.js';
import type { HecConfig } from './config.js';
import { createHecEncoder, isBlankEvent, type HecMeta } from './encode.js';

const HEC_EVENT_PATH = '/services/collector/event';
const HEC_RAW_PATH = '/services/collector/raw';
const HEC_ACK_PATH = '/services/collector/ack';
const HEC_HEALTH_PATH = '/services/collector/health';

export interface HecDriver extends SinkDriver {
  readonly channel: string;
  readonly acks: AckTracker | undefined;
}

export function createHecDriver(config: HecConfig, env: Pick<BuildEnv, 'logger' | 'metrics' | 'secrets' | 'resolvePath'> & { now?: () => number }): HecDriver {
  const now = env.now ?? Date.now;
  const transport = createHttpTransport(config, env, { connections: 64 });
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
  const requestTimeout = config.requestTimeout;
  const ackCfg = config.acknowledgements;
  let warnedNoAckId = false;
  let lastPollWarning = -Infinity;
  let closed = false;
  let warnedAckDisabled = false;

  const batchMaxBytes = config.batch.maxBytes;
  if (batchMaxBytes > config.maxContentLength) {
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
    const res = await transport.request({ url: url(HEC_ACK_PATH, { channel }), headers: baseHeaders('application/json'), body: JSON.stringify({ acks: ids }), signal });
    return classifyAckReply(res.status, res.text);
  }

  async function post(body: PreparedBody, path: string, query: Record<string, string> | undefined, contentType: string, signal: AbortSignal): Promise<HttpResponse> {
    return transport.send({ url: url(path, query), headers: baseHeaders(contentType), body, signal });
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

  /** The request body for `slot` of this batch: encoded and compressed on the first attempt, the same bytes on every retry. */
  function body(memo: EncodingMemo | undefined, slot: string, encode: () => { body: Buffer } | { tooLarge: number }): Promise<PreparedBody | { tooLarge: number }> {
    return reuseEncoding<PreparedBody | { tooLarge: number }>(memo, slot, () => {
      const encoded = encode();
      return 'tooLarge' in encoded ? encoded : transport.prepare(encoded.body);
    });
  }

  async function sendEventMode(events: SinkEvent[], signal: AbortSignal, memo: EncodingMemo | undefined): Promise<SendOutcome> {
    const rejected: { index: number; reason: string }[] = [];
    const live: number[] = [];
    events.forEach((e, i) => {
      // HEC refuses a blank event (code 13) and everything after it in the request: settle it here.
      if (isBlankEvent(e)) rejected.push({ index: i, reason: 'empty event body: HEC rejects it (code 13, Event field cannot be blank)' });
      else live.push(i);
    });
    if (live.length === 0) return { kind: 'partial', rejected };
    const encoded = await body(memo, 'event', () => encoder.eventBody(live.length === events.length ? events : live.map((i) => events[i]!), config.maxContentLength));
    if ('tooLarge' in encoded) return tooLarge(encoded.tooLarge);
    const res = await post(encoded, HEC_EVENT_PATH, undefined, 'application/json', signal);
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

  async function sendRawMode(events: SinkEvent[], signal: AbortSignal, memo: EncodingMemo | undefined): Promise<SendOutcome> {
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
    for (const [slot, g] of groups) {
      const encoded = await body(memo, slot, () => encoder.rawBody(g.indices.length === events.length ? events : g.indices.map((i) => events[i]!), config.maxContentLength));
      if ('tooLarge' in encoded) return tooLarge(encoded.tooLarge);
      const query: Record<string, string> = { channel };
      for (const k of ['host', 'source', 'sourcetype', 'index'] as const) if (g.meta[k]) query[k] = g.meta[k];
      const res = await post(encoded, HEC_RAW_PATH, query, 'text/plain', signal);
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
      const res = await transport.request({ method: 'GET', url: url(HEC_HEALTH_PATH), headers: { authorization: auth, 'user-agent': 'zendesk-siem-forwarder' }, signal });
      if (res.status >= 200 && res.status < 300) return;
      throw new Error(scrub(`HEC health check failed: ${describeHecReply(res.status, parseHecReply(res.text), res.text)}`));
    },
    async send(events, signal, memo) {
      if (events.length === 0) return { kind: 'ok' };
      return config.mode === 'raw' ? sendRawMode(events, signal, memo) : sendEventMode(events, signal, memo);
    },
    async close() {
      if (closed) return;
      closed = true;
      acks?.close();
      await transport.close();
    },
  };
}

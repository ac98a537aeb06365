// The request handler: rate limit → path → content type → size → signature → JSON envelope →
// dedupe → emit → wait until durable → 200. Every refusal is a small JSON body, counted by
// reason and logged without the secret. A 503 + Retry-After means "not safe yet, send again":
// the buffer is full, a sink is blocked, or durability did not come within ackTimeout.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmitReceipt, SourceBatch, SourceContext } from '../../core/types.js';
import type { WebhookConfig } from './config.js';
import { DedupeWindow } from './dedupe.js';
import { readEnvelope, WEBHOOK_STREAM } from './envelope.js';
import { AddressRateLimiter } from './rate-limit.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from './verify.js';

export type RejectReason =
  | 'not_found'
  | 'method'
  | 'rate_limited'
  | 'content_type'
  | 'too_large'
  | 'missing_signature'
  | 'bad_signature'
  | 'bad_timestamp'
  | 'stale_timestamp'
  | 'invalid_json'
  | 'bad_envelope'
  | 'overloaded'
  | 'not_durable';

const STATUS: Record<RejectReason, number> = {
  not_found: 404,
  method: 405,
  rate_limited: 429,
  content_type: 415,
  too_large: 413,
  missing_signature: 401,
  bad_signature: 401,
  bad_timestamp: 401,
  stale_timestamp: 401,
  invalid_json: 400,
  bad_envelope: 400,
  overloaded: 503,
  not_durable: 503,
};

class TooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        req.removeAllListeners('data');
        req.resume(); // drain without keeping it
        reject(new TooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, n)));
    req.on('error', reject);
  });
}

export function webhookHandler(config: WebhookConfig, ctx: SourceContext): (req: IncomingMessage, res: ServerResponse) => void {
  const endpoints = new Map(config.endpoints.map((e) => [e.path, e]));
  const limiter = new AddressRateLimiter({ ratePerSecond: config.rateLimit.perSecond, burst: config.rateLimit.burst, maxAddresses: config.rateLimit.maxAddresses });
  const dedupe = new DedupeWindow(config.dedupeWindow);
  const retryAfterSeconds = String(Math.ceil(config.retryAfter / 1000));
  let inFlight = 0;
  // One abort listener for all waiting requests (one per request would pile up on the signal).
  const waiting = new Set<() => void>();
  ctx.signal.addEventListener('abort', () => [...waiting].forEach((finish) => finish()), { once: true });

  /** Resolves true when `p` is fulfilled within `ms`; false on timeout, rejection or stop. */
  const within = (p: Promise<unknown>, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        waiting.delete(stop);
        resolve(ok);
      };
      const stop = () => finish(false);
      const timer = setTimeout(stop, ms);
      if (ctx.signal.aborted) return stop();
      waiting.add(stop);
      p.then(
        () => finish(true),
        () => finish(false),
      );
    });

  const reject = (res: ServerResponse, reason: RejectReason, detail: Record<string, unknown>, headers: Record<string, string> = {}) => {
    ctx.metrics.webhookRejected.inc({ source: ctx.id, reason });
    ctx.logger.warn({ reason, status: STATUS[reason], ...detail }, 'webhook request refused');
    if (!res.headersSent) res.writeHead(STATUS[reason], { 'content-type': 'application/json', ...headers, ...(STATUS[reason] === 503 ? { 'retry-after': retryAfterSeconds } : {}) });
    res.end(JSON.stringify({ error: reason }));
  };
  const ok = (res: ServerResponse, body: Record<string, unknown>) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const remote = req.socket.remoteAddress ?? 'unknown';
    const log = { path, remote };
    // The rate limit comes first: a flood of any kind from one address costs it tokens.
    if (!limiter.take(remote, ctx.now())) return reject(res, 'rate_limited', log, { 'retry-after': String(limiter.retryAfterSeconds(remote)) });
    const endpoint = endpoints.get(path);
    if (!endpoint) return reject(res, 'not_found', log);
    if (req.method !== 'POST') return reject(res, 'method', { ...log, method: req.method }, { allow: 'POST' });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return reject(res, 'content_type', { ...log, contentType: type.slice(0, 100) });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > config.maxBodyBytes) return reject(res, 'too_large', { ...log, bytes: declared }, { connection: 'close' });
    let body: Buffer;
    try {
      body = await readBody(req, config.maxBodyBytes);
    } catch (err) {
      if (err instanceof TooLarge) return reject(res, 'too_large', log, { connection: 'close' });
      throw err;
    }
    const failure = verifyRequest({
      secret: endpoint.secret,
      signature: header(req, SIGNATURE_HEADER),
      timestamp: header(req, TIMESTAMP_HEADER),
      body,
      now: ctx.now(),
      toleranceMs: config.timestampTolerance,
    });
    if (failure) return reject(res, failure, { ...log, timestamp: header(req, TIMESTAMP_HEADER)?.slice(0, 40) });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return reject(res, 'invalid_json', { ...log, error: (err as Error).message.slice(0, 200) });
    }
    const env = readEnvelope(parsed);
    if (typeof env === 'string') return reject(res, 'bad_envelope', { ...log, error: env });

    const seen = dedupe.claim(env.id);
    if (seen.state === 'durable') return ok(res, { id: env.id, duplicate: true });
    if (seen.state === 'in_flight') {
      // The first copy decides: durable → this one is answered 200 without a second emit.
      const durable = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), config.ackTimeout);
        void seen.settled.then((d) => {
          clearTimeout(timer);
          resolve(d);
        });
      });
      return durable ? ok(res, { id: env.id, duplicate: true }) : reject(res, 'not_durable', { ...log, id: env.id, duplicate: true });
    }
    if (inFlight >= config.maxInFlight) {
      dedupe.done(env.id, false);
      return reject(res, 'overloaded', { ...log, id: env.id, inFlight });
    }
    inFlight++;
    try {
      const batch: SourceBatch = {
        records: [{ account: endpoint.account, stream: WEBHOOK_STREAM, id: env.id, time: env.time, raw: parsed as Record<string, unknown> }],
        checkpoint: { lastEventId: env.id, lastEventTime: new Date(env.time).toISOString() },
        checkpointTime: env.time,
      };
      // emit blocks while a buffer is full; the receipt's `durable` is the fsync (disk buffer) or the delivery (memory).
      const emitted = ctx.emit(batch);
      let receipt: EmitReceipt | undefined;
      emitted.then((r) => (receipt = r)).catch(() => undefined);
      const durable = emitted.then((r) => r.durable);
      durable.then(
        () => dedupe.done(env.id, true),
        () => dedupe.done(env.id, false),
      );
      if (await within(durable, config.ackTimeout)) {
        return ok(res, { id: env.id });
      }
      // Not safe yet. If it becomes durable later, Zendesk's retry is answered from the dedupe window.
      return reject(res, 'not_durable', { ...log, id: env.id, stage: receipt ? 'durability' : 'buffer_full', ackTimeoutMs: config.ackTimeout });
    } finally {
      inFlight--;
    }
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      ctx.logger.error({ err: (err as Error)?.message }, 'webhook request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal' }));
    });
  };
  return handler;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

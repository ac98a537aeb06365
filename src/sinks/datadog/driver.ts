// One delivery attempt to the Datadog Logs intake (POST /api/v2/logs, as documented in
// Datadog's "Send logs" API reference) over the shared HTTP layer (undici dispatcher, gzip,
// byte metrics), classified by classify.ts. Network errors are retried. Limits are enforced
// before sending: more than 1000 logs or more than 5 MB uncompressed -> too_large without a
// request; one log above 1 MB -> dead-lettered (or truncated with a marker, `oversizedLogs:
// truncate`).
//
// The request is built here, not by @datadog/datadog-api-client: its LogsApi loads every v2
// model through its ObjectSerializer (+65 MB RSS, 35 MB of it heap, for one JSON array), a
// third of the product's fixed memory with all four network sinks (docs/performance.md,
// "Fault storm"). The body is the same bytes the client's serializer produces for the same
// logs (test/sinks/datadog.test.ts checks it against the client). A batch is encoded and
// compressed once; its retries resend those bytes (EncodingMemo).

import { Counter } from 'prom-client';
import type { BuildEnv } from '../../core/plugin.js';
import { describeError } from '../../core/retry.js';
import type { EncodingMemo, SendOutcome, SinkDriver, SinkEvent } from '../../core/types.js';
import { reuseEncoding } from '../shared/encoding-memo.js';
import { createHttpTransport, type PreparedBody } from '../shared/http.js';
import type { HttpResponse } from '../shared/request.js';
import { classifyDatadogResponse, describeDatadogError } from './classify.js';
import { apiUrl, DATADOG_LIMITS, intakeUrl, type DatadogConfig } from './config.js';
import { createDatadogEncoder, logsRequestBody, type DatadogLog } from './encode.js';

const USER_AGENT = 'zendesk-siem-forwarder';

function staleCounter(env: Pick<BuildEnv, 'metrics'>): Counter<'sink'> {
  const name = 'zsf_sink_stale_events_total';
  const existing = env.metrics.registry.getSingleMetric(name) as Counter<'sink'> | undefined;
  return (
    existing ??
    new Counter({
      name,
      help: "Events sent with a timestamp older than the destination's indexing window (Datadog: 18 h); they may not be searchable",
      labelNames: ['sink'] as const,
      registers: [env.metrics.registry],
    })
  );
}

/** A batch's request, encoded once: the compressed body and the logs refused before sending, or why it cannot be sent. */
type Built = { body: PreparedBody; rejected: { index: number; reason: string }[] } | { tooLarge: number } | { allRejected: { index: number; reason: string }[] };

/** Flat string headers, as the classifier takes them. */
function flatHeaders(headers: HttpResponse['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  return flat;
}

export function createDatadogDriver(
  config: DatadogConfig,
  env: Pick<BuildEnv, 'logger' | 'metrics' | 'secrets' | 'resolvePath'> & { now?: () => number },
): SinkDriver {
  const now = env.now ?? Date.now;
  const labels = { sink: config.id };
  const transport = createHttpTransport(config, env, { connections: 64 });
  const encoder = createDatadogEncoder(config);
  const scrub = (s: string) => env.secrets.scrub(s);
  const stale = staleCounter(env);
  const logsUrl = `${intakeUrl(config)}/api/v2/logs`;
  const validateUrl = `${apiUrl(config)}/api/v1/validate`;
  const headers = { 'dd-api-key': config.apiKey, 'content-type': 'application/json', accept: 'application/json', 'user-agent': USER_AGENT };
  let lastStaleWarning = -Infinity;
  let staleSinceWarning = 0;
  let closed = false;

  const batchMaxBytes = config.batch.maxBytes;
  if (batchMaxBytes > DATADOG_LIMITS.maxPayloadBytes) {
    env.logger.warn({ sink: config.id, batchMaxBytes }, "batch.maxBytes is above Datadog's 5 MB payload limit: batches will be split before they can be sent");
  }

  function noteStale(events: SinkEvent[]): void {
    const cutoff = now() - config.staleAfter;
    let n = 0;
    let oldest = Infinity;
    for (const e of events) {
      if (e.meta.time < cutoff) {
        n++;
        oldest = Math.min(oldest, e.meta.time);
      }
    }
    if (!n) return;
    stale.inc(labels, n);
    staleSinceWarning += n;
    if (now() - lastStaleWarning >= 60_000) {
      env.logger.warn(
        { sink: config.id, events: staleSinceWarning, oldest: new Date(oldest).toISOString(), staleAfterMs: config.staleAfter },
        'sending events older than the Datadog indexing window (18 h): Datadog accepts them but may not index them (backfill?)',
      );
      lastStaleWarning = now();
      staleSinceWarning = 0;
    }
  }

  /** Encodes the batch (logs, JSON array, gzip); the uncompressed body is measured exactly against the 5 MB limit. */
  async function build(events: SinkEvent[]): Promise<Built> {
    const logs: DatadogLog[] = [];
    const rejected: { index: number; reason: string }[] = [];
    events.forEach((e, index) => {
      const r = encoder.encode(e);
      if (r.ok) logs.push(r.encoded.log);
      else rejected.push({ index, reason: r.reason });
    });
    if (logs.length === 0) return { allRejected: rejected };
    const raw = logsRequestBody(logs);
    if (raw.length > DATADOG_LIMITS.maxPayloadBytes) return { tooLarge: raw.length };
    return { body: await transport.prepare(raw), rejected };
  }

  async function submit(events: SinkEvent[], signal: AbortSignal, memo: EncodingMemo | undefined): Promise<SendOutcome> {
    const built = await reuseEncoding(memo, 'logs', () => build(events));
    if ('allRejected' in built) return { kind: 'partial', rejected: built.allRejected };
    if ('tooLarge' in built) {
      return { kind: 'too_large', reason: `payload is ${built.tooLarge} bytes uncompressed, above Datadog's ${DATADOG_LIMITS.maxPayloadBytes}-byte limit` };
    }
    let res: HttpResponse;
    try {
      res = await transport.send({ url: logsUrl, headers, body: built.body, signal });
    } catch (error) {
      if (signal.aborted) throw error;
      return { kind: 'retry', reason: scrub(`Datadog request failed: ${describeError(error)}`) };
    }
    const outcome = classifyDatadogResponse(res.status, flatHeaders(res.headers), res.text, now());
    if (outcome.kind !== 'ok') return 'reason' in outcome ? { ...outcome, reason: scrub(outcome.reason) } : outcome;
    const { rejected } = built;
    const rejectedSet = new Set(rejected.map((r) => r.index));
    noteStale(rejected.length ? events.filter((_, i) => !rejectedSet.has(i)) : events); // counted once, when delivered
    return rejected.length ? { kind: 'partial', rejected } : { kind: 'ok' };
  }

  return {
    async healthcheck(signal) {
      const res = await transport.request({ method: 'GET', url: validateUrl, headers: { 'dd-api-key': config.apiKey, accept: 'application/json', 'user-agent': USER_AGENT }, signal });
      if (res.status >= 200 && res.status < 300) return;
      throw new Error(scrub(`Datadog API key check (GET /api/v1/validate) failed: ${describeDatadogError(res.status, res.text)}`));
    },

    async send(events, signal, memo) {
      if (events.length === 0) return { kind: 'ok' };
      if (events.length > DATADOG_LIMITS.maxEntries) {
        return { kind: 'too_large', reason: `${events.length} logs in one request, above Datadog's ${DATADOG_LIMITS.maxEntries}-entry limit` };
      }
      return submit(events, signal, memo);
    },

    async close() {
      if (closed) return;
      closed = true;
      await transport.close();
    },
  };
}

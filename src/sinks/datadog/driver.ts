// One delivery attempt to the Datadog Logs intake through the official client
// (@datadog/datadog-api-client, v2 LogsApi.submitLog) over the shared HTTP layer (http-api.ts),
// classified by classify.ts. Network errors are retried. Limits are enforced before sending:
// more than 1000 logs or more than 5 MB uncompressed -> too_large without a request; one log
// above 1 MB -> dead-lettered (or truncated with a marker, `oversizedLogs: truncate`).

import { Counter } from 'prom-client';
import type { client as ddClient, v1 as ddV1, v2 as ddV2 } from '@datadog/datadog-api-client';
import type { BuildEnv } from '../../core/plugin.js';
import { describeError } from '../../core/retry.js';
import type { SendOutcome, SinkDriver, SinkEvent } from '../../core/types.js';
import { encodingSlots } from '../shared/encoding-memo.js';
import { createHttpTransport } from '../shared/http.js';
import { classifyDatadogResponse, describeDatadogError } from './classify.js';
import { apiUrl, DATADOG_LIMITS, intakeUrl, type DatadogConfig } from './config.js';
import { createDatadogEncoder, type DatadogLog } from './encode.js';
import { callScope, createUndiciHttpLibrary, flatHeaders, type CallScope, type SentRequest } from './http-api.js';

/** The parts of the client that sending uses. */
interface DatadogModule {
  client: typeof ddClient;
  v2: { LogsApi: typeof ddV2.LogsApi };
}

// The client is large: load it once, on first use, and start loading as soon as a datadog
// sink is created. Only the API the driver calls is loaded: the package's index loads every v1
// and v2 API and model (+125 MB RSS, 63 MB heap, 2.4 s). The v2 LogsApi alone still loads every
// v2 model through its ObjectSerializer (+50 MB RSS, 37 MB heap in a bare process; no public
// entry point loads less). The v1 AuthenticationApi (+7 MB RSS, 6 MB heap: every v1 model) is
// loaded only by the API-key check, so a sink with `healthcheck.enabled: false` never loads it.
const DD = '@datadog/datadog-api-client/dist/packages';
// CommonJS modules: Node gives their module.exports as `default`; tsx (benches) gives the
// named exports only.
const load = <T>(path: string): Promise<T> => import(`${DD}/${path}`).then((m: { default?: T } & T) => m.default ?? m);
let clientModule: Promise<DatadogModule> | undefined;
export function loadDatadogClient(): Promise<DatadogModule> {
  clientModule ??= Promise.all([
    load<typeof ddClient>('datadog-api-client-common/index.js'),
    load<{ LogsApi: typeof ddV2.LogsApi }>('datadog-api-client-v2/apis/LogsApi.js'),
  ]).then(([client, v2]) => ({ client, v2 }));
  return clientModule;
}
let authModule: Promise<{ AuthenticationApi: typeof ddV1.AuthenticationApi }> | undefined;
/** The v1 AuthenticationApi (GET /api/v1/validate), for the API-key check only. */
export function loadDatadogAuthenticationApi(): Promise<{ AuthenticationApi: typeof ddV1.AuthenticationApi }> {
  authModule ??= load<{ AuthenticationApi: typeof ddV1.AuthenticationApi }>('datadog-api-client-v1/apis/AuthenticationApi.js');
  return authModule;
}

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

/** A batch's request as the client built it, and the logs refused before sending: what its retries reuse. */
interface Built {
  request: SentRequest;
  rejected: { index: number; reason: string }[];
}

interface Api {
  logs: ddV2.LogsApi;
  /** The API-key check's client, made on the first healthcheck. */
  auth: () => Promise<ddV1.AuthenticationApi>;
}

/** The memo slot of the request the client built on a batch's first attempt. */
const REQUEST = 'request';

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
  const gzipOn = config.compression.type === 'gzip';
  let lastStaleWarning = -Infinity;
  let staleSinceWarning = 0;

  const batchMaxBytes = config.batch.maxBytes;
  if (batchMaxBytes > DATADOG_LIMITS.maxPayloadBytes) {
    env.logger.warn({ sink: config.id, batchMaxBytes }, "batch.maxBytes is above Datadog's 5 MB payload limit: batches will be split before they can be sent");
  }

  const loading = loadDatadogClient();
  loading.catch(() => undefined); // reported on first use
  let api: Api | undefined;
  let closed = false;

  async function getApi(): Promise<Api> {
    if (api) return api;
    const dd = await loading;
    const httpApi = createUndiciHttpLibrary(dd.client, transport, config.compression);
    const make = (base: string): ddClient.Configuration =>
      dd.client.createConfiguration({
        baseServer: new dd.client.ServerConfiguration(base, {}),
        authMethods: { apiKeyAuth: config.apiKey },
        httpApi,
        enableRetry: false, // the core retries, with backoff, jitter and Retry-After
      });
    let auth: Promise<ddV1.AuthenticationApi> | undefined;
    api = {
      logs: new dd.v2.LogsApi(make(intakeUrl(config))),
      auth: () => (auth ??= loadDatadogAuthenticationApi().then((v1) => new v1.AuthenticationApi(make(apiUrl(config))))),
    };
    return api;
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

  /** Runs one client call inside a scope that carries the signal and collects the raw answer. */
  async function call<T>(signal: AbortSignal, fn: (a: Api) => Promise<T>, maxBodyBytes?: number): Promise<{ scope: CallScope; error?: unknown }> {
    const a = await getApi();
    const scope: CallScope = maxBodyBytes === undefined ? { signal } : { signal, maxBodyBytes };
    try {
      await callScope.run(scope, () => fn(a));
      return { scope };
    } catch (error) {
      return { scope, error };
    }
  }

  function answered(events: SinkEvent[], rejected: Built['rejected'], status: number, headers: Record<string, string>, text: string): SendOutcome {
    const outcome = classifyDatadogResponse(status, headers, text, now());
    if (outcome.kind !== 'ok') return 'reason' in outcome ? { ...outcome, reason: scrub(outcome.reason) } : outcome;
    const rejectedSet = new Set(rejected.map((r) => r.index));
    noteStale(rejected.length ? events.filter((_, i) => !rejectedSet.has(i)) : events); // counted once, when delivered
    return rejected.length ? { kind: 'partial', rejected } : { kind: 'ok' };
  }

  /**
   * A retry of a batch the client already serialised: the same request bytes (compressed once)
   * go out again through the transport, without the client's serialiser building them anew.
   */
  async function resend(events: SinkEvent[], built: Built, signal: AbortSignal): Promise<SendOutcome> {
    const { url, method, headers, body } = built.request;
    let res;
    try {
      res = await transport.send({ url, method, headers, body, signal });
    } catch (error) {
      if (signal.aborted) throw error;
      return { kind: 'retry', reason: scrub(`Datadog request failed: ${describeError(error)}`) };
    }
    return answered(events, built.rejected, res.status, flatHeaders(res.headers), res.text);
  }

  return {
    async healthcheck(signal) {
      const { scope, error } = await call(signal, async (a) => (await a.auth()).validate());
      if (scope.status === undefined) throw error instanceof Error ? error : new Error(describeError(error));
      if (scope.status >= 200 && scope.status < 300) return;
      throw new Error(scrub(`Datadog API key check (GET /api/v1/validate) failed: ${describeDatadogError(scope.status, scope.text ?? '')}`));
    },

    async send(events, signal, memo) {
      if (events.length === 0) return { kind: 'ok' };
      const slots = encodingSlots(memo);
      const earlier = slots?.get(REQUEST) as Built | undefined;
      if (earlier) return resend(events, earlier, signal);
      if (events.length > DATADOG_LIMITS.maxEntries) {
        return { kind: 'too_large', reason: `${events.length} logs in one request, above Datadog's ${DATADOG_LIMITS.maxEntries}-entry limit` };
      }
      const logs: DatadogLog[] = [];
      const rejected: { index: number; reason: string }[] = [];
      events.forEach((e, index) => {
        const r = encoder.encode(e);
        if (r.ok) logs.push(r.encoded.log);
        else rejected.push({ index, reason: r.reason });
      });
      if (logs.length === 0) return { kind: 'partial', rejected };
      const body = logs.map(({ ddsource, ddtags, hostname, message, service, ...rest }) => ({
        ddsource,
        ddtags,
        hostname,
        message,
        service,
        additionalProperties: rest,
      }));
      // The serialised body is measured exactly by the HTTP layer, which refuses (does not send)
      // one above the 5 MB limit.
      const { scope, error } = await call(
        signal,
        (a) => a.logs.submitLog(gzipOn ? { body, contentEncoding: 'gzip' } : { body }),
        DATADOG_LIMITS.maxPayloadBytes,
      );
      if (scope.sent) slots?.set(REQUEST, { request: scope.sent, rejected } satisfies Built);
      if (scope.tooLarge !== undefined) {
        return { kind: 'too_large', reason: `payload is ${scope.tooLarge} bytes uncompressed, above Datadog's ${DATADOG_LIMITS.maxPayloadBytes}-byte limit` };
      }
      if (scope.status === undefined) {
        // No HTTP answer: a network error, an abort, or the client refusing to build the request.
        if (signal.aborted) throw error;
        return { kind: 'retry', reason: scrub(`Datadog request failed: ${describeError(error)}`) };
      }
      return answered(events, rejected, scope.status, scope.headers ?? {}, scope.text ?? '');
    },

    async close() {
      if (closed) return;
      closed = true;
      await transport.close();
    },
  };
}

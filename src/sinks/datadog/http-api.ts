// The HTTP layer under the official Datadog client.
//
// The client's default `IsomorphicFetchHttpLibrary` sends through cross-fetch (node-fetch):
// it knows nothing of our undici dispatcher, so the sink's proxy, custom CA, client
// certificate, insecureSkipVerify and keep-alive pool would be ignored; it gzips with pako
// synchronously at a fixed level, and it takes its abort signal from the shared
// configuration, not per request. So the sink gives the client its own `httpApi`: this
// adapter, which sends every request the client builds through the sink's shared HTTP
// transport (src/sinks/shared/http.ts: dispatcher, gzip at the configured level off the main
// thread, byte metrics), takes the per-call abort signal (request timeout, shutdown) from an
// AsyncLocalStorage scope, and records the raw status, headers and body text so the sink
// classifies the answer itself (Retry-After is not visible through the client's ApiException).

import { AsyncLocalStorage } from 'node:async_hooks';
import type { client as ddClient } from '@datadog/datadog-api-client';
import type { HttpTransport, PreparedBody } from '../shared/http.js';
import type { CompressionOptions } from '../shared/http-options.js';
import type { HttpResponse } from '../shared/request.js';

/** Per-call state: what the sink passes down, and what the HTTP layer reports back. */
export interface CallScope {
  signal?: AbortSignal;
  /** Refuse (without sending) a body larger than this, uncompressed. */
  maxBodyBytes?: number;
  /** Set when the body was refused for its size: its uncompressed bytes. */
  tooLarge?: number;
  /** The request as it went out (body compressed): a retry of the same batch sends it again without the client. */
  sent?: SentRequest;
  /** Set once the response arrived. */
  status?: number;
  headers?: Record<string, string>;
  text?: string;
}

export interface SentRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: PreparedBody;
}

export const callScope = new AsyncLocalStorage<CallScope>();

/** Flat string headers, as the client's ResponseContext and the classifier take them. */
export function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  return flat;
}

type ClientModule = typeof ddClient;

/** What a request needs once it left the client: no reference to the client's RequestContext or its body. */
interface Outgoing {
  common: { url: string; method: 'GET' | 'POST'; headers: Record<string, string>; signal?: AbortSignal };
  /** The body, compressed (or not) per the request's Content-Encoding; undefined for a GET. */
  preparing?: Promise<PreparedBody>;
}

/**
 * Takes the request out of the client's RequestContext, synchronously. The context holds the
 * serialised body (a string of up to 5 MB, two bytes per character once the text has one
 * non-Latin-1 character); nothing below keeps it, nor the context, once the body is handed to
 * compression, so a request in flight (up to `requestTimeout`, per concurrency slot) holds only
 * its compressed bytes.
 */
function takeRequest(request: ddClient.RequestContext, scope: CallScope | undefined, transport: HttpTransport, compression: CompressionOptions): Outgoing {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.getHeaders())) headers[k.toLowerCase()] = v;
  const body = request.getBody();
  let payload: Buffer | undefined;
  if (typeof body === 'string') payload = Buffer.from(body, 'utf8');
  else if (Buffer.isBuffer(body)) payload = body;
  else if (body !== undefined) throw new Error('unsupported request body type for the Datadog HTTP layer');
  const rawBytes = payload?.length ?? 0;
  if (scope?.maxBodyBytes !== undefined && rawBytes > scope.maxBodyBytes) {
    scope.tooLarge = rawBytes;
    throw new Error(`request body is ${rawBytes} bytes, above the ${scope.maxBodyBytes}-byte limit`);
  }
  // The client marks the bodies it wants compressed; the transport compresses and sets the header.
  const { 'content-encoding': encoding, ...rest } = headers;
  if (encoding && encoding !== 'gzip' && encoding !== 'identity') throw new Error(`unsupported Content-Encoding ${encoding}`);
  const signal = scope?.signal ?? (request.getHttpConfig().signal as AbortSignal | undefined);
  const common = { url: request.getUrl(), method: request.getHttpMethod() as 'GET' | 'POST', headers: rest, ...(signal ? { signal } : {}) };
  if (!payload) return { common };
  return { common, preparing: transport.prepare(payload, encoding === 'gzip' ? compression : { type: 'none', level: compression.level }) };
}

async function sendTaken(client: ClientModule, transport: HttpTransport, out: Outgoing, scope: CallScope | undefined): Promise<ddClient.ResponseContext> {
  const { common } = out;
  let res: HttpResponse;
  if (out.preparing) {
    const body = await out.preparing;
    if (scope) scope.sent = { url: common.url, method: common.method, headers: common.headers, body };
    res = await transport.send({ ...common, body });
  } else res = await transport.request(common);
  const flat = flatHeaders(res.headers);
  if (scope) {
    scope.status = res.status;
    scope.headers = flat;
    scope.text = res.text;
  }
  const text = res.text;
  return new client.ResponseContext(res.status, flat, {
    text: async () => text,
    binary: async () => Buffer.from(text, 'utf8'),
  });
}

export function createUndiciHttpLibrary(client: ClientModule, transport: HttpTransport, compression: CompressionOptions): ddClient.HttpLibrary {
  return {
    // Not async: the RequestContext must not stay in an async frame while the request is in flight.
    send(request: ddClient.RequestContext): Promise<ddClient.ResponseContext> {
      const scope = callScope.getStore();
      let out: Outgoing;
      try {
        out = takeRequest(request, scope, transport, compression);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return sendTaken(client, transport, out, scope);
    },
  };
}

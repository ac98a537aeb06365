// The HTTP layer under the official Datadog client.
//
// The client's default `IsomorphicFetchHttpLibrary` sends through cross-fetch (node-fetch):
// it knows nothing of our undici dispatcher, so the sink's proxy, custom CA, client
// certificate, insecureSkipVerify and keep-alive pool would be ignored; it gzips with pako
// synchronously at a fixed level, and it takes its abort signal from the shared
// configuration, not per request. So the sink gives the client its own `httpApi`: this
// class, which sends every request the client builds through the sink's undici dispatcher,
// gzips (or deflates) with node:zlib at the configured level off the main thread, takes the
// per-call abort signal (request timeout, shutdown) from an AsyncLocalStorage scope, and
// records the raw status, headers and body text so the sink classifies the answer itself
// (Retry-After is not visible through the client's ApiException).

import { AsyncLocalStorage } from 'node:async_hooks';
import { deflate, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Dispatcher } from 'undici';
import type { client as ddClient } from '@datadog/datadog-api-client';
import { httpRequest } from '../shared/request.js';

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);

/** Per-call state: what the sink passes down, and what the HTTP layer reports back. */
export interface CallScope {
  signal?: AbortSignal;
  /** Refuse (without sending) a body larger than this, uncompressed. */
  maxBodyBytes?: number;
  /** Set when the body was refused for its size: its uncompressed bytes. */
  tooLarge?: number;
  /** Set once the response arrived. */
  status?: number;
  headers?: Record<string, string>;
  text?: string;
  /** Body bytes before and after compression, for the metrics. */
  rawBytes?: number;
  wireBytes?: number;
}

export const callScope = new AsyncLocalStorage<CallScope>();

type ClientModule = typeof ddClient;

export function createUndiciHttpLibrary(client: ClientModule, dispatcher: Dispatcher, level: number): ddClient.HttpLibrary {
  return {
    async send(request: ddClient.RequestContext): Promise<ddClient.ResponseContext> {
      const scope = callScope.getStore();
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
      const encoding = headers['content-encoding'];
      if (payload && encoding === 'gzip') payload = await gzipAsync(payload, { level });
      else if (payload && encoding === 'deflate') payload = await deflateAsync(payload, { level });
      else if (encoding && encoding !== 'identity') throw new Error(`unsupported Content-Encoding ${encoding}`);
      if (scope) {
        scope.rawBytes = rawBytes;
        scope.wireBytes = payload?.length ?? 0;
      }
      const signal = scope?.signal ?? (request.getHttpConfig().signal as AbortSignal | undefined);
      const res = await httpRequest({
        dispatcher,
        url: request.getUrl(),
        method: request.getHttpMethod() as 'GET' | 'POST',
        headers,
        ...(payload ? { body: payload } : {}),
        ...(signal ? { signal } : {}),
      });
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
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
    },
  };
}

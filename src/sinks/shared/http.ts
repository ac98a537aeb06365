// The HTTP layer every network sink sends through: one undici dispatcher per sink
// (keep-alive pool, proxy, TLS files resolved against the config folder), request
// compression, and the wire byte counters. Classification is in classify.ts, the
// Retry-After parser in src/http/retry-after.ts (docs/adding-a-sink.md).

import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import type { BuildEnv } from '../../core/plugin.js';
import type { CompressionOptions, TlsOptions } from './http-options.js';
import { httpRequest, type HttpRequestOptions, type HttpResponse } from './request.js';

const gzipAsync = promisify(gzip);

export function buildDispatcher(opts: {
  tls?: TlsOptions | undefined;
  proxy?: string | undefined;
  connections?: number;
  /** Resolves caFile/certFile/keyFile: BuildEnv.resolvePath, relative to the config file's folder. */
  resolvePath: (path: string) => string;
}): Dispatcher {
  const t = opts.tls;
  const file = (p: string) => readFileSync(opts.resolvePath(p));
  const connect = {
    rejectUnauthorized: !(t?.insecureSkipVerify ?? false),
    // Node's `ca` replaces the default trust store; keep the system roots and add the file's CAs.
    ...(t?.caFile ? { ca: [...rootCertificates, file(t.caFile).toString('utf8')] } : {}),
    ...(t?.certFile ? { cert: file(t.certFile) } : {}),
    ...(t?.keyFile ? { key: file(t.keyFile) } : {}),
    ...(t?.serverName ? { servername: t.serverName } : {}),
  };
  const common = { connections: opts.connections ?? 16, keepAliveTimeout: 30_000, connect };
  if (opts.proxy) return new ProxyAgent({ uri: opts.proxy, ...common, requestTls: connect });
  return new Agent(common);
}

export async function compress(body: Buffer, c: CompressionOptions | undefined): Promise<{ body: Buffer; encoding?: 'gzip' }> {
  if (!c || c.type === 'none') return { body };
  return { body: await gzipAsync(body, { level: c.level }), encoding: 'gzip' };
}

/** The shared HTTP options of a sink's config (httpSinkOptions), as the transport reads them. */
export interface TransportConfig {
  id: string;
  tls?: TlsOptions | undefined;
  proxy?: string | undefined;
  compression?: CompressionOptions | undefined;
}

/** A request body compressed once (`transport.prepare`), sent as it is on every attempt of its batch. */
export interface PreparedBody {
  readonly wire: Buffer;
  readonly encoding?: 'gzip';
  /** Bytes before compression (the raw body itself is not kept). */
  readonly rawBytes: number;
}

function isPrepared(body: Buffer | string | PreparedBody): body is PreparedBody {
  return typeof body !== 'string' && !Buffer.isBuffer(body);
}

export type DeliveryRequest = Omit<HttpRequestOptions, 'dispatcher' | 'body'> & {
  /** A prepared body is sent as it is (its compression was chosen when it was prepared). */
  body: Buffer | string | PreparedBody;
  /** Override the sink's `compression` for this request (e.g. a protocol that compresses only some calls). */
  compression?: CompressionOptions;
};

export interface DeliveryResponse extends HttpResponse {
  /** Body bytes before and after compression. */
  rawBytes: number;
  wireBytes: number;
}

export interface HttpTransport {
  readonly dispatcher: Dispatcher;
  /**
   * A delivery: compresses the body per the sink's `compression` (and sets Content-Encoding),
   * counts zsf_sink_bytes_uncompressed_total and zsf_sink_bytes_sent_total, sends once.
   */
  send(req: DeliveryRequest): Promise<DeliveryResponse>;
  /**
   * Compresses a body per the sink's `compression` (or `compression`), once: a driver keeps the
   * result in its batch's EncodingMemo and sends it on every retry without encoding again.
   */
  prepare(body: Buffer | string, compression?: CompressionOptions): Promise<PreparedBody>;
  /** A side request (health check, ack poll): sent as given, not counted. */
  request(req: Omit<HttpRequestOptions, 'dispatcher'>): Promise<HttpResponse>;
  close(): Promise<void>;
}

export function createHttpTransport(config: TransportConfig, env: Pick<BuildEnv, 'metrics' | 'resolvePath'>, opts: { connections?: number } = {}): HttpTransport {
  const dispatcher = buildDispatcher({ tls: config.tls, proxy: config.proxy, connections: opts.connections ?? 16, resolvePath: env.resolvePath });
  const labels = { sink: config.id };
  let closed = false;
  async function prepare(body: Buffer | string, compression?: CompressionOptions): Promise<PreparedBody> {
    const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const c = await compress(raw, compression ?? config.compression);
    return { wire: c.body, rawBytes: raw.length, ...(c.encoding ? { encoding: c.encoding } : {}) };
  }
  return {
    dispatcher,
    async send({ body, compression, headers, ...rest }) {
      const p = isPrepared(body) ? body : await prepare(body, compression);
      env.metrics.sinkBytesUncompressed.inc(labels, p.rawBytes);
      env.metrics.sinkBytesSent.inc(labels, p.wire.length);
      const res = await httpRequest({
        ...rest,
        dispatcher,
        headers: { ...headers, ...(p.encoding ? { 'content-encoding': p.encoding } : {}) },
        body: p.wire,
      });
      return { ...res, rawBytes: p.rawBytes, wireBytes: p.wire.length };
    },
    prepare,
    request(req) {
      return httpRequest({ ...req, dispatcher });
    },
    async close() {
      if (closed) return;
      closed = true;
      await dispatcher.close();
    },
  };
}

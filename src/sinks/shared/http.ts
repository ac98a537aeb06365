// HTTP plumbing shared by the HTTP sinks: one undici dispatcher per sink (keep-alive,
// TLS, proxy), gzip, and the status-code classification every sink starts from.

import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import type { SendOutcome } from '../../core/types.js';
import { parseRetryAfter } from '../../core/retry.js';
import type { CompressionOptions, TlsOptions } from './http-options.js';

const gzipAsync = promisify(gzip);

export function buildDispatcher(opts: {
  tls?: TlsOptions | undefined;
  proxy?: string | undefined;
  connections?: number;
  /** Resolves caFile/certFile/keyFile (pass BuildEnv.resolvePath: relative to the config file). Default: as given. */
  resolvePath?: (path: string) => string;
}): Dispatcher {
  const t = opts.tls;
  const file = (p: string) => readFileSync(opts.resolvePath ? opts.resolvePath(p) : p);
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

/**
 * The default mapping of an HTTP response to a delivery outcome:
 * 2xx ok; 401/403 auth; 413 too_large; 408, 429 and 5xx except 501 retry (with Retry-After);
 * other 4xx (and 501) permanent. Sinks refine it with their protocol's own codes.
 */
export function classifyHttpStatus(status: number, headers: Record<string, string | string[] | undefined>, bodyText: string, now: number): SendOutcome {
  const detail = `HTTP ${status}${bodyText ? `: ${bodyText.slice(0, 500)}` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 401 || status === 403) return { kind: 'auth', reason: detail };
  if (status === 413) return { kind: 'too_large', reason: detail };
  if (status === 408 || status === 429 || (status >= 500 && status !== 501)) {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
    return retryAfterMs === undefined ? { kind: 'retry', reason: detail } : { kind: 'retry', reason: detail, retryAfterMs };
  }
  return { kind: 'permanent', reason: detail };
}

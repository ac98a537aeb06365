// /metrics (Prometheus text), /healthz (process alive) and /readyz (config loaded and no
// component failed hard) on `api.listen`.

import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Secrets } from './secrets.js';

export interface Readiness {
  ready(): { ready: boolean; components: Record<string, { state: string; reason?: string }> };
}

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

/** The API address cannot be bound: a start-up error (the CLI exits 2), never a half-started instance. */
export class ApiListenError extends Error {
  constructor(
    readonly listen: string,
    override readonly cause: NodeJS.ErrnoException,
  ) {
    const why = cause.code === 'EADDRINUSE' ? 'the port is already in use (another zsf instance, or another program)' : cause.code === 'EACCES' ? 'permission denied' : cause.code === 'EADDRNOTAVAIL' ? 'no such local address' : cause.message;
    super(`cannot listen on api.listen ${listen} for /metrics, /healthz and /readyz: ${why}; set api.listen to a free address, or api: { enabled: false }`);
    this.name = 'ApiListenError';
  }
}

export async function startApiServer(listen: string, registry: Registry, readiness: Readiness, secrets: Secrets): Promise<ApiServer> {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(i + 1));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(secrets.scrub(text)))
        .catch((err: unknown) => res.writeHead(500).end(String(err)));
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = readiness.ready();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(secrets.scrub(JSON.stringify(r)) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ApiListenError(listen, err)));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr : { address: host, port };
  const hostPart = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${hostPart}:${bound.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// A generic NDJSON HTTP endpoint for the `http` sink's tests: accepts POST/PUT bodies of
// newline-delimited JSON (gzip or not) on 127.0.0.1, records every request, and can refuse
// large bodies (413), wrong credentials (401) or the next N requests (scripted answers).

import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface NdjsonRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
  wireBytes: number;
  decodedBytes: number;
  /** The parsed lines of the body (also for refused requests). */
  lines: unknown[];
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface NdjsonReceiverOptions {
  /** Answer 413 to a body larger than this, decoded. */
  maxBodyBytes?: number;
  /** When set, requests without exactly this Authorization header get 401. */
  authorization?: string;
}

export interface NdjsonReceiver extends EventEmitter {
  url: string;
  requests: NdjsonRequest[];
  /** Lines of every 2xx request, in arrival order. */
  accepted: unknown[];
  /** Change what is accepted while running (credential rotation). */
  authorization: string | undefined;
  /** The next `n` requests get this answer (after the body is read). */
  failNext(n: number, answer: ScriptedAnswer): void;
  /** Resolves when `pred` holds, checked after every request; rejects after `timeoutMs`. */
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startNdjsonReceiver(opts: NdjsonReceiverOptions = {}): Promise<NdjsonReceiver> {
  const scripted: ScriptedAnswer[] = [];
  const emitter = new EventEmitter();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const wire = Buffer.concat(chunks);
      const decoded = req.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
      const text = decoded.toString('utf8');
      const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
      let answer: ScriptedAnswer;
      if (scripted.length) answer = scripted.shift()!;
      else if (receiver.authorization !== undefined && req.headers.authorization !== receiver.authorization) answer = { status: 401, body: 'bad credentials' };
      else if (opts.maxBodyBytes !== undefined && decoded.length > opts.maxBodyBytes) answer = { status: 413, body: 'body too large' };
      else answer = { status: 200, body: '{"ok":true}' };
      receiver.requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        status: answer.status,
        wireBytes: wire.length,
        decodedBytes: decoded.length,
        lines,
      });
      if (answer.status >= 200 && answer.status < 300) receiver.accepted.push(...lines);
      res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
      emitter.emit('request');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const receiver: NdjsonReceiver = Object.assign(emitter, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    requests: [] as NdjsonRequest[],
    accepted: [] as unknown[],
    authorization: opts.authorization,
    failNext(n: number, answer: ScriptedAnswer) {
      for (let i = 0; i < n; i++) scripted.push(answer);
    },
    waitFor(pred: () => boolean, timeoutMs: number, what: string) {
      return new Promise<void>((resolve, reject) => {
        if (pred()) return resolve();
        const check = () => {
          if (!pred()) return;
          clearTimeout(timer);
          emitter.off('request', check);
          resolve();
        };
        const timer = setTimeout(() => {
          emitter.off('request', check);
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        emitter.on('request', check);
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  });
  return receiver;
}

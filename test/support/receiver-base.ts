// What every protocol receiver of test/receivers shares: an HTTP(S) server on 127.0.0.1 (port 0,
// kept across stop/start so an outage looks like one), a script of injected faults for the data
// endpoints, the common part of each request's log entry, body decoding, and `waitFor`, which
// gives tests a promise on the receiver's state instead of sleeps. The receivers add only their
// protocol (paths, auth, framing, limits, answers).

import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

export interface InjectedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Destroy the connection without answering (a network error for the client). */
  drop?: boolean;
  /** Never answer (the connection is cut when the receiver stops): for client timeouts. */
  hang?: boolean;
}

export interface ReceiverTls {
  key: string | Buffer;
  cert: string | Buffer;
}

/** The part of a request's log entry every receiver keeps; protocols add their own fields. */
export interface ReceivedRequestBase {
  /** 1-based position among the recorded requests. */
  n: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** Body bytes as they came over the wire (before any Content-Encoding is undone). */
  wireBytes: number;
  decodedBytes: number;
  /** 0 for a dropped connection. */
  status: number;
  reply: string;
  /** Answered by an injected fault. */
  injected?: boolean;
}

/** Server lifecycle, fault queue and state waiting shared by the test receivers. */
export abstract class ReceiverBase extends EventEmitter {
  protected server!: Server;
  private sockets = new Set<Socket>();
  private faults: InjectedResponse[] = [];
  private listening = false;
  port = 0;

  constructor(private readonly tls?: ReceiverTls) {
    super();
    this.setMaxListeners(100);
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Injected faults answered so far. */
  faultsServed = 0;

  protected abstract handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void;
  /** Called for a request answered by an injected fault (receivers record it). */
  protected abstract onFault(req: IncomingMessage, body: Buffer, fault: InjectedResponse): void;
  /** Whether a request path is subject to injected faults (the data endpoints). */
  protected abstract faultable(path: string): boolean;

  async start(): Promise<this> {
    if (this.listening) return this;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (this.faultable(path) && this.faults.length) {
          const f = this.faults.shift()!;
          this.faultsServed++;
          this.onFault(req, Buffer.concat(chunks), f);
          if (f.drop) {
            req.socket.destroy();
            this.changed();
            return;
          }
          if (f.hang) {
            this.changed();
            return;
          }
          res.writeHead(f.status, { 'content-type': 'application/json', ...f.headers });
          res.end(f.body ?? '');
          this.changed();
          return;
        }
        try {
          this.handle(req, Buffer.concat(chunks), res);
        } catch (err) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ text: `receiver error: ${(err as Error).message}`, code: 8 }));
        }
        this.changed();
      });
    };
    this.server = this.tls ? createHttpsServer({ key: this.tls.key, cert: this.tls.cert }, handler) : createHttpServer(handler);
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.listening = true;
    return this;
  }

  /** Outage: stop listening and cut every connection (clients get connection refused/reset). Same port on start(). */
  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async close(): Promise<void> {
    await this.stop();
    this.removeAllListeners();
  }

  /** The next `n` data requests get `response` instead of being processed. */
  failNext(n: number, response: InjectedResponse): void {
    for (let i = 0; i < n; i++) this.faults.push(response);
  }

  clearFaults(): void {
    this.faults = [];
  }

  get pendingFaults(): number {
    return this.faults.length;
  }

  protected changed(): void {
    this.emit('change');
  }

  /**
   * The common log entry of a request, numbered after the `recorded` requests so far; `status`
   * and `reply` are filled in when it is answered. `path` is the URL path, normalised by the
   * protocol when it wants to (HEC drops trailing slashes).
   */
  protected requestEntry(req: IncomingMessage, body: Buffer, recorded: number, path?: string): ReceivedRequestBase {
    const u = new URL(req.url ?? '/', 'http://x');
    return {
      n: recorded + 1,
      method: req.method ?? '',
      path: path ?? u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: req.headers,
      wireBytes: body.length,
      decodedBytes: 0,
      status: 0,
      reply: '',
    };
  }

  /** The log entry of a request answered by an injected fault. */
  protected faultEntry(req: IncomingMessage, body: Buffer, recorded: number, fault: InjectedResponse, path?: string): ReceivedRequestBase {
    return {
      ...this.requestEntry(req, body, recorded, path),
      status: fault.drop ? 0 : fault.status,
      reply: fault.drop ? '(connection dropped)' : (fault.body ?? ''),
      injected: true,
    };
  }

  /** Resolves once `predicate()` holds (checked now and after every request); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      if (predicate()) return resolve();
      const check = () => {
        if (predicate()) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`receiver: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('change', check);
      };
      this.on('change', check);
    });
  }
}

/** Undoes a Content-Encoding (identity, gzip, deflate); throws on any other. */
export function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  if (!encoding || encoding === 'identity') return body;
  if (encoding === 'gzip') return gunzipSync(body);
  if (encoding === 'deflate') return inflateSync(body);
  throw new Error(`unsupported Content-Encoding ${encoding}`);
}

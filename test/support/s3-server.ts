// A real S3-compatible server for tests: s3rver (npm) in this process on 127.0.0.1, storing
// objects in a temp dir, behind a small recording proxy on 127.0.0.1. The proxy lets tests
// see the exact request headers the SDK sent (x-amz-object-lock-*, x-amz-tagging, SSE …,
// which s3rver does not keep) and simulate an outage by stopping the S3 server process
// itself (the proxy then resets every connection) and starting it again on the same data.
//
// s3rver checks that the access key exists but does not verify SigV4 signatures; it stores
// aws-chunked framing inside objects when a streamed PutObject carries a trailing checksum
// (requestChecksumCalculation WHEN_SUPPORTED), which is why tests compare stored bytes.

import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { tempDir } from './temp-dir.js';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverInstance;
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverCtor;
const Account = require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };

export const TEST_ACCESS_KEY_ID = 'AKIAZSFTESTKEY000001';
/** Distinctive so tests can grep every output for it. */
export const TEST_SECRET_ACCESS_KEY = 'zsfSecretKey/9q8w7e6r5t4y3u2i1o0p+ZSF';
Account.DUMMY_ACCOUNT.createKeyPair(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY);

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface S3TestServer {
  /** What the sink should use as `endpoint` (path-style). */
  endpoint: string;
  bucket: string;
  region: string;
  dir: string;
  requests: RecordedRequest[];
  /** When set and it returns an answer, the proxy replies with that S3 error instead of forwarding. */
  intercept: ((req: RecordedRequest) => { status: number; code: string; retryAfter?: string } | undefined) | undefined;
  /** A reader that never adds checksums (so nothing it reads back is reframed). */
  client: S3Client;
  /** Stops the S3 server (connections to the endpoint are then reset). */
  stopBackend(): Promise<void>;
  /** Starts the S3 server again on the same stored data. */
  startBackend(): Promise<void>;
  listKeys(prefix?: string): Promise<string[]>;
  getObject(key: string): Promise<{ body: Buffer; metadata: Record<string, string>; contentType?: string; contentEncoding?: string; storageClass?: string }>;
  close(): Promise<void>;
}

export async function startS3Server(opts: { bucket?: string; region?: string } = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? 'archive';
  const region = opts.region ?? 'us-east-1';
  const dir = tempDir('zsf-s3rver-');
  let backend: S3rverInstance | null = null;
  let backendPort = 0;
  let firstStart = true;

  async function startBackend(): Promise<void> {
    if (backend) return;
    const s = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true, ...(firstStart ? { configureBuckets: [{ name: bucket }] } : {}) });
    const info = await s.run();
    backendPort = info.port;
    backend = s;
    firstStart = false;
  }

  async function stopBackend(): Promise<void> {
    const s = backend;
    backend = null;
    backendPort = 0;
    for (const sock of sockets) sock.destroy();
    await s?.close();
  }

  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((req, res) => {
    const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(rec);
    const fake = server.intercept?.(rec);
    if (fake) {
      req.resume();
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fake.code}</Code><Message>injected by test</Message><RequestId>t1</RequestId></Error>`;
      res.writeHead(fake.status, { 'content-type': 'application/xml', ...(fake.retryAfter ? { 'retry-after': fake.retryAfter } : {}) }).end(xml);
      return;
    }
    if (!backendPort) {
      req.socket.destroy(); // outage: the connection is reset, as with a dead server behind a load balancer
      return;
    }
    // Host is forwarded untouched: it is part of what the client signed.
    const upstream = request({ host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  proxy.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await startBackend();
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  const client = new S3Client({
    region,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: TEST_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  const server: S3TestServer = {
    endpoint,
    bucket,
    region,
    dir,
    requests,
    intercept: undefined,
    client,
    stopBackend,
    startBackend,
    async listKeys(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}), ...(token ? { ContinuationToken: token } : {}) }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async getObject(key) {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from(await r.Body!.transformToByteArray());
      return {
        body,
        metadata: r.Metadata ?? {},
        ...(r.ContentType ? { contentType: r.ContentType } : {}),
        ...(r.ContentEncoding ? { contentEncoding: r.ContentEncoding } : {}),
        ...(r.StorageClass ? { storageClass: r.StorageClass } : {}),
      };
    },
    async close() {
      client.destroy();
      await stopBackend();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

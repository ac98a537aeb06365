// One HTTP exchange over a sink's undici dispatcher: the request goes out, the status,
// headers and (capped) response text come back. Network errors and aborts are thrown;
// HTTP statuses are not, so every sink classifies them the same way (classify.ts).
// Sinks call it through their transport (http.ts), which adds compression and byte metrics.

import { request, type Dispatcher } from 'undici';

export interface HttpResponse {
  status: number;
  /** Lower-case header names, as undici reports them. */
  headers: Record<string, string | string[] | undefined>;
  /** The response body, cut at `maxResponseBytes` (protocols with binary answers read this). */
  body: Buffer;
  /** The same as UTF-8 text. */
  text: string;
  /** The answer was longer than `maxResponseBytes`. */
  truncated: boolean;
}

export interface HttpRequestOptions {
  dispatcher: Dispatcher;
  url: string | URL;
  method?: 'GET' | 'POST' | 'PUT' | 'HEAD' | 'DELETE';
  headers?: Record<string, string>;
  body?: Buffer | string;
  signal?: AbortSignal;
  /** Keep at most this much of the response body (the rest is read and discarded so the connection can be reused). Default 64 KiB. */
  maxResponseBytes?: number;
}

export async function httpRequest(opts: HttpRequestOptions): Promise<HttpResponse> {
  const res = await request(opts.url, {
    method: opts.method ?? 'POST',
    dispatcher: opts.dispatcher,
    ...(opts.headers ? { headers: opts.headers } : {}),
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const limit = opts.maxResponseBytes ?? 64 * 1024;
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    if (kept < limit) {
      const part = chunk.length > limit - kept ? chunk.subarray(0, limit - kept) : chunk;
      chunks.push(part);
      kept += part.length;
      if (part.length < chunk.length) truncated = true;
    } else if (chunk.length) truncated = true;
  }
  const body = Buffer.concat(chunks);
  return { status: res.statusCode, headers: res.headers, body, text: body.toString('utf8'), truncated };
}

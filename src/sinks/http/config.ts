// Options of the `http` sink: newline-delimited JSON to any URL. Batching, buffer, retry,
// concurrency, requestTimeout and healthcheck are common sink options added by the config loader.

import { z } from 'zod';
import type { SinkCommonOptions, SinkDefaults } from '../../core/plugin.js';
import { httpSinkOptions } from '../shared/http-options.js';

const auth = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({
      type: z.literal('basic'),
      user: z.string().min(1).describe('User name for HTTP Basic authentication'),
      password: z.string().describe('Password for HTTP Basic authentication; use ${file:...} or ${VAR}'),
    }),
    z.strictObject({
      type: z.literal('bearer'),
      token: z.string().min(1).describe('Sent as "Authorization: Bearer <token>"; use ${file:...} or ${VAR}'),
    }),
  ])
  .default({ type: 'none' })
  .describe('Request authentication: none, basic (user, password) or bearer (token)');

export const httpOptions = {
  uri: z
    .url({ protocol: /^https?$/, error: 'expected the full URL to send to, such as https://collector.example.com/ingest' })
    .describe('Full URL every batch is sent to (scheme, host, port, path, query)'),
  method: z.enum(['POST', 'PUT']).default('POST').describe('HTTP method of each request'),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name'), z.string())
    .default({})
    .describe('Extra request headers; values may be ${file:...} or ${VAR} secrets and are never logged'),
  auth,
  ...httpSinkOptions,
};

export type HttpSinkConfig = z.infer<z.ZodObject<typeof httpOptions>> & { id: string } & SinkCommonOptions;

export const httpDefaults: SinkDefaults = {
  maxEvents: 1000,
  maxBytes: 1024 * 1024,
  maxWaitMs: 1000,
  concurrency: 4,
};

// Options of the `zendesk_webhook` source. Each endpoint path has its own signing secret
// (the key is named `secret`, so the config loader scrubs it from every log and error;
// give it as `${file:/run/secrets/...}`).

import { z } from 'zod';
import { duration, size } from '../../config/units.js';

export const webhookEndpoint = z.strictObject({
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~/-]*$/, 'expected an absolute URL path such as /zendesk/acme')
    .describe('URL path Zendesk posts to (the webhook endpoint URL ends with it)'),
  secret: z.string().min(1).describe("The webhook's signing secret (Admin Center > Webhooks > the webhook > Signing secret); use ${file:...}"),
  account: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected an account name such as "acme"')
    .describe('Account name used in event ids (account:webhook:<event id>); use the same name as the polled sources of this Zendesk account'),
});

export const webhookOptions = {
  listen: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:8088')
    .default('0.0.0.0:8088')
    .describe('Address of the webhook listener (its own port, not the metrics API)'),
  endpoints: z.array(webhookEndpoint).min(1).describe('One entry per Zendesk webhook: path, signing secret, account'),
  maxBodyBytes: size({ min: 1024, max: 16 * 1024 * 1024 }).default(256 * 1024).describe('Larger bodies are refused with 413'),
  timestampTolerance: duration({ min: 1000 }).default(300_000).describe('Refuse a signature timestamp further than this from now (replay protection); default 5m'),
  ackTimeout: duration({ min: 100, max: 60_000 })
    .default(8_000)
    .describe('How long a request may wait for its event to be durable before it is answered 503 + Retry-After (Zendesk gives up after about 10 s)'),
  retryAfter: duration({ min: 1000 }).default(30_000).describe('Retry-After sent with a 503 (buffer full, sink blocked)'),
  maxInFlight: z.number().int().min(1).default(256).describe('Requests waiting for durability at once; beyond that, 503 at once'),
  rateLimit: z
    .strictObject({
      perSecond: z.number().positive().default(50).describe('Requests per second per client address'),
      burst: z.number().int().min(1).default(200).describe('Burst per client address'),
      maxAddresses: z.number().int().min(16).default(10_000).describe('Client addresses remembered'),
    })
    .default({ perSecond: 50, burst: 200, maxAddresses: 10_000 }),
  dedupeWindow: z.number().int().min(1).default(100_000).describe('Event ids remembered to answer redeliveries without emitting them again'),
};

export type WebhookConfig = z.infer<z.ZodObject<typeof webhookOptions>> & { id: string; type: string };

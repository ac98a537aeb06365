// The `zendesk.accounts[]` section: one entry per Zendesk account, shared by its streams.

import { z } from 'zod';

const tokenAuth = z.strictObject({
  type: z.literal('token'),
  email: z.string().min(3).describe('Agent/admin email the API token belongs to'),
  token: z.string().min(1).describe('Zendesk API token (use ${ZENDESK_API_TOKEN} or ${file:/run/secrets/zendesk-token})'),
});
const oauthAuth = z.strictObject({
  type: z.literal('oauth'),
  accessToken: z.string().min(1).describe('OAuth access token with the `read` scope'),
});

export const zendeskAccount = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'expected a short name of letters, digits, - and _').describe('Name used by sources and in event ids'),
    subdomain: z.string().regex(/^[a-z0-9][a-z0-9-]*$/i, 'expected the subdomain only, e.g. "acme" for acme.zendesk.com').optional(),
    baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://acme.zendesk.com' }).optional().describe('Overrides https://{subdomain}.zendesk.com (simulator, proxies)'),
    auth: z.discriminatedUnion('type', [tokenAuth, oauthAuth]),
    requestsPerMinute: z.number().int().min(1).max(100_000).default(200).describe('Request budget for this account, shared by all its streams. Keep it below your plan limit so other integrations keep some.'),
  })
  .refine((a) => Boolean(a.subdomain) !== Boolean(a.baseUrl), { message: 'give exactly one of subdomain or baseUrl' });

export type ZendeskAccountConfig = z.infer<typeof zendeskAccount>;

// The `zendesk` config section, owned by the Zendesk sources: `zendesk.accounts[]`, one entry
// per Zendesk account, shared by its streams. Registered through the sources' `sections`, so the
// config schema has it only when a Zendesk source type is registered.

import { isIP } from 'node:net';
import { z } from 'zod';
import { closest } from '../../config/errors.js';
import { duration } from '../../config/units.js';
import type { ConfigSection } from '../../core/plugin.js';

const tokenAuth = z.strictObject({
  type: z.literal('token'),
  email: z.string().min(3).describe('Agent/admin email the API token belongs to'),
  token: z.string().min(1).describe('Zendesk API token (use ${ZENDESK_API_TOKEN} or ${file:/run/secrets/zendesk-token})'),
});
const oauthAuth = z.strictObject({
  type: z.literal('oauth'),
  accessToken: z.string().min(1).describe('OAuth access token: scopes `auditlogs:read` (audit log), `tickets:read` (ticket events), or `read` (needed for the access log)'),
});

export const zendeskAccount = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'expected a short name of letters, digits, - and _').describe('Name used by sources and in event ids'),
    subdomain: z.string().regex(/^[a-z0-9][a-z0-9-]*$/i, 'expected the subdomain only, e.g. "acme" for acme.zendesk.com').optional(),
    baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://acme.zendesk.com' }).optional().describe('Overrides https://{subdomain}.zendesk.com (simulator, proxies)'),
    allowInsecureHttp: z.boolean().default(false).describe('Allow an http:// baseUrl on a host other than loopback (credentials then travel in clear)'),
    auth: z.discriminatedUnion('type', [tokenAuth, oauthAuth]),
    authBackoff: duration({ min: 10 }).default(30_000).describe('First wait after Zendesk refuses the credentials (401/403); doubles, jittered, up to 10m. The source reports unready meanwhile and re-reads ${file:...} credentials before each retry.'),
    requestsPerMinute: z.number().int().min(1).max(100_000).default(200).describe('Request budget for this account, shared by all its streams. Keep it below your plan limit so other integrations keep some.'),
    // Not in the README: Zendesk's windows are one minute. Tests and benchmarks shrink it
    // together with the simulator's so that minutes of pacing take seconds.
    rateWindow: duration({ min: 100, max: 3_600_000 }).default(60_000).describe('Length of Zendesk\'s rate-limit window (testing only; leave at 60s)'),
  })
  .refine((a) => Boolean(a.subdomain) !== Boolean(a.baseUrl), { message: 'give exactly one of subdomain or baseUrl' })
  .refine((a) => !a.baseUrl || a.allowInsecureHttp || !insecureBaseUrl(a.baseUrl), {
    path: ['baseUrl'],
    message: 'http:// would send the Zendesk credentials in clear text; use https://, or set allowInsecureHttp: true on this account if the hop is a trusted local proxy',
  });

export type ZendeskAccountConfig = z.infer<typeof zendeskAccount>;

const zendeskSchema = z.strictObject({ accounts: z.array(zendeskAccount).default([]) }).default({ accounts: [] });
export type ZendeskSectionConfig = z.infer<typeof zendeskSchema>;

export const zendeskSection: ConfigSection<ZendeskSectionConfig> = {
  key: 'zendesk',
  schema: zendeskSchema,
  check: (section, config) => {
    const names = section.accounts.map((a) => a.name);
    const problems: string[] = [];
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) problems.push(`zendesk.accounts[${i}].name: duplicate account name "${n}"`);
    });
    config.sources.forEach((s, i) => {
      const account = s.account;
      if (s.type.startsWith('zendesk_') && typeof account === 'string' && !names.includes(account)) {
        const hint = closest(account, names);
        problems.push(`sources[${i}].account: unknown Zendesk account "${account}"${hint ? ` (did you mean "${hint}"?)` : ''}; define it under zendesk.accounts`);
      }
    });
    return problems;
  },
};

/** An http:// URL whose host is not loopback (127.0.0.0/8, ::1, localhost). */
export function insecureBaseUrl(baseUrl: string): boolean {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    return false; // the URL check above reports it
  }
  if (u.protocol !== 'http:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return false;
  if (isIP(host) === 4) return !host.startsWith('127.');
  if (isIP(host) === 6) return host !== '::1';
  return true;
}

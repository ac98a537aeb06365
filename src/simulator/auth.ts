// Authentication as Zendesk accepts it (https://developer.zendesk.com/api-reference/introduction/security-and-auth/):
// API token basic auth, `Authorization: Basic base64("{email}/token:{api_token}")`, or an OAuth access
// token, `Authorization: Bearer {token}`. A "forbidden" switch answers 403 as an account without the
// Enterprise plan (audit logs) or the ADPP add-on (access logs) would.

import type { IncomingHttpHeaders } from 'node:http';
import { accessLogErrors, supportErrors, type ErrorReply } from './errors.js';
import type { EndpointName } from './types.js';

export interface OAuthToken {
  token: string;
  /** e.g. ['read'] or ['auditlogs:read']; omitted means unrestricted. */
  scopes?: string[];
}

export interface AuthOptions {
  email?: string;
  token?: string;
  oauthTokens?: (string | OAuthToken)[];
  /** Answer 403 (plan or add-on missing, not an admin): for all endpoints, or per endpoint. */
  forbidden?: boolean | Partial<Record<EndpointName, boolean>>;
}

export interface Principal {
  kind: 'token' | 'oauth';
  email?: string;
}

/** Scopes that grant each endpoint; "read" grants everything read-only. */
const SCOPES: Record<EndpointName, string[]> = {
  audit_logs: ['read', 'auditlogs:read'],
  audit_log: ['read', 'auditlogs:read'],
  ticket_events: ['read', 'tickets:read'],
  access_logs: ['read'],
  deleted_tickets: ['read', 'tickets:read'],
};

export function checkAuth(headers: IncomingHttpHeaders, opts: AuthOptions, endpoint: EndpointName): { ok: true; principal: Principal } | { ok: false; reply: ErrorReply } {
  const access = endpoint === 'access_logs';
  const unauth = access ? accessLogErrors.unauthenticated() : supportErrors.unauthenticated();
  const header = headers.authorization ?? '';
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  let principal: Principal | undefined;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    const user = sep >= 0 ? decoded.slice(0, sep) : decoded;
    const secret = sep >= 0 ? decoded.slice(sep + 1) : '';
    if (opts.email && opts.token && user.toLowerCase() === `${opts.email.toLowerCase()}/token` && secret === opts.token) principal = { kind: 'token', email: opts.email };
    if (!principal) return { ok: false, reply: unauth };
  } else if (/^bearer$/i.test(scheme)) {
    const found = (opts.oauthTokens ?? []).map((t) => (typeof t === 'string' ? { token: t } : t)).find((t) => t.token === value);
    if (!found) return { ok: false, reply: access ? unauth : supportErrors.invalidToken() };
    if (found.scopes && !found.scopes.some((s) => SCOPES[endpoint].includes(s))) {
      return { ok: false, reply: access ? accessLogErrors.forbidden() : supportErrors.missingScope(SCOPES[endpoint][0] as string) };
    }
    principal = { kind: 'oauth' };
  } else {
    return { ok: false, reply: unauth };
  }
  const f = opts.forbidden;
  if (f === true || (typeof f === 'object' && f[endpoint])) return { ok: false, reply: access ? accessLogErrors.forbidden() : supportErrors.forbidden() };
  return { ok: true, principal };
}

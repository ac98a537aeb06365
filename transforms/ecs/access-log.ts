// Access log record -> ECS document: type access plus the change verb (creation/change/
// deletion) and denied (401/403) or error (a failed read). ECS 9.4 expects only access, error
// and info under `web`, and no error under `api`, so the categories follow the types:
// a plain read is api + web, a change or a denial is api, a failed read is web. A failed
// change keeps its verb and says failure in event.outcome.

import type { Enrichment } from '../enrich/index.js';
import { defined, rest, withoutNulls, type Raw } from '../zendesk/fields.js';
import { ACCESS_LOG_MAPPED_KEYS, accessOperation, accessResource, type AccessActivity, type AccessLog } from '../zendesk/access-log.js';
import { absoluteUrl, hostAndScheme } from '../zendesk/origin.js';
import { ecsBase, ecsUser, Related, zendeskEnrichment, type Outcome } from './common.js';

export interface EcsAccessInput {
  id: string;
  account: string;
  access: AccessLog;
  activity: AccessActivity;
  enrichment: Enrichment;
  enriched: boolean;
  rawData?: boolean;
  /** The account's origin, for url.full. */
  origin?: string;
}

const VERB: Partial<Record<AccessActivity, string>> = { create: 'creation', update: 'change', delete: 'deletion' };

export function accessCategorization(activity: AccessActivity, status: number | undefined): { category: string[]; type: string[] } {
  const type = ['access'];
  const verb = VERB[activity];
  if (verb) type.push(verb);
  if (status === 401 || status === 403) type.push('denied');
  else if (status !== undefined && status >= 400 && !verb) return { category: ['web'], type: [...type, 'error'] };
  return { category: type.length === 1 ? ['api', 'web'] : ['api'], type };
}

export function mapAccessLogEcs(i: EcsAccessInput): Raw {
  const a = i.access;
  const outcome: Outcome = a.status === undefined ? 'unknown' : a.status >= 400 ? 'failure' : 'success';
  const out = ecsBase({
    id: i.id,
    account: i.account,
    stream: 'access_log',
    time: a.time,
    ...accessCategorization(i.activity, a.status),
    action: accessOperation(a),
    outcome,
    message: a.summary ?? `${a.method ?? 'UNKNOWN'} ${a.url ?? ''}`.trim(),
    enrichment: i.enrichment,
    enriched: i.enriched,
  });
  const user = ecsUser(a.userId, undefined);
  if (user) out.user = user;
  if (a.ip) out.source = { ip: a.ip };
  if (a.userAgent) out.user_agent = { original: a.userAgent };
  if (a.url) {
    const url: Raw = { original: a.url };
    if (a.path) url.path = a.path;
    if (a.query) url.query = a.query;
    const full = absoluteUrl(a.url, i.origin);
    if (full) {
      const u = hostAndScheme(full, i.origin);
      url.full = full;
      url.domain = u.hostname;
      url.scheme = u.scheme;
    }
    out.url = url;
  }
  const http: Raw = {};
  const req: Raw = {};
  if (a.method) req.method = a.method;
  if (a.referrer) req.referrer = a.referrer;
  if (Object.keys(req).length > 0) http.request = req;
  if (a.status !== undefined || a.bytesSent !== undefined) {
    http.response = defined([['status_code', a.status], ['bytes', a.bytesSent]]);
  }
  if (Object.keys(http).length > 0) out.http = http;
  const rel = new Related().ip(a.ip).user(a.userId).toEcs();
  if (rel) out.related = rel;

  const accessLog = (withoutNulls(rest(a.raw, ACCESS_LOG_MAPPED_KEYS)) as Raw | undefined) ?? {};
  accessLog.activity = i.activity;
  if (a.summary) accessLog.summary = a.summary;
  const resource = accessResource(a);
  if (resource) accessLog.resource = resource;
  out.zendesk = { account: i.account, access_log: accessLog, ...zendeskEnrichment(i.enrichment) };
  if (i.rawData) (out.event as Raw).original = JSON.stringify(a.raw);
  return out;
}

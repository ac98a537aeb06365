// Access log record -> OCSF API Activity 6003. GET/HEAD/OPTIONS and read-only POSTs (search,
// GraphQL queries, exports) are Read; other POSTs Create (GraphQL mutations Update); PUT/PATCH
// Update; DELETE Delete; any other method Other (named by the method). Status >= 400 is Failure.

import type { Enrichment } from '../enrich/index.js';
import { rest, type Raw } from '../zendesk/fields.js';
import { ACCESS_LOG_MAPPED_KEYS, HTTP_METHODS, accessOperation, accessResource, type AccessActivity, type AccessLog } from '../zendesk/access-log.js';
import { absoluteUrl, hostAndScheme } from '../zendesk/origin.js';
import { API_ACTIVITY, baseEvent, finishEvent, observable, userObject } from './common.js';

export interface OcsfAccessInput {
  uid: string;
  account: string;
  access: AccessLog;
  activity: AccessActivity;
  enrichment: Enrichment;
  rawData?: boolean;
  /** The account's origin, for an absolute url_string. */
  origin?: string;
}

const ACTIVITY_ID: Record<AccessActivity, number> = { unknown: 0, create: 1, read: 2, update: 3, delete: 4, other: 99 };
const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);

export function mapAccessLogOcsf(i: OcsfAccessInput): Raw {
  const a = i.access;
  const activityId = ACTIVITY_ID[i.activity];
  const statusId = a.status === undefined ? 0 : a.status >= 400 ? 2 : 1;
  const operation = accessOperation(a);
  const out = baseEvent({
    cls: API_ACTIVITY,
    activityId,
    otherName: activityId === 99 ? a.method : undefined,
    time: a.time,
    originalTime: a.timestamp,
    uid: i.uid,
    account: i.account,
    stream: 'access_log',
    eventCode: a.category,
    statusId,
    message: a.summary ?? `${a.method ?? 'UNKNOWN'} ${a.url ?? ''}`.trim(),
    enrichment: i.enrichment,
  });
  if (a.status !== undefined) out.status_code = String(a.status);

  const user = userObject(a.userId, undefined);
  out.actor = user ? { user } : { app_name: a.userAgent ?? 'unknown' };
  const api: Raw = { operation, request: { uid: a.id }, service: { name: 'Zendesk Support' } };
  if (a.category) api.group = { name: a.category };
  if (a.status !== undefined) api.response = { code: a.status };
  out.api = api;

  const req: Raw = {};
  if (a.method && KNOWN_METHODS.has(a.method)) req.http_method = a.method;
  if (a.path) {
    const url: Raw = { path: a.path };
    if (a.query) url.query_string = a.query;
    // url_t is an absolute URL (RFC 1738); Zendesk logs the path only, so the origin is added.
    const full = a.url ? absoluteUrl(a.url, i.origin) : undefined;
    if (full) {
      url.url_string = full;
      const u = hostAndScheme(full, i.origin);
      url.hostname = u.hostname;
      url.scheme = u.scheme;
    }
    req.url = url;
  }
  if (a.userAgent) req.user_agent = a.userAgent;
  if (a.referrer) req.referrer = a.referrer;
  if (Object.keys(req).length > 0) out.http_request = req;
  if (a.status !== undefined) {
    const res: Raw = { code: a.status };
    if (a.bytesSent !== undefined) res.length = a.bytesSent;
    out.http_response = res;
  }
  out.src_endpoint = a.ip ? { ip: a.ip } : { name: 'unknown' };
  const resource = accessResource(a);
  if (resource) out.resources = [resource];

  const obs: Raw[] = [];
  if (a.ip) obs.push(observable('src_endpoint.ip', 'ip', a.ip));
  if (user) obs.push(observable('actor.user', 'user'));
  if (a.userAgent) obs.push(observable('http_request.user_agent', 'userAgent', a.userAgent));
  if (obs.length > 0) out.observables = obs;
  const unmapped = rest(a.raw, ACCESS_LOG_MAPPED_KEYS) ?? {};
  // A method OCSF does not list stays visible here rather than being dropped.
  if (a.method && !KNOWN_METHODS.has(a.method)) unmapped.method = a.method;
  finishEvent(out, { enrichment: i.enrichment, unmapped, raw: a.raw, rawData: i.rawData });
  return out;
}

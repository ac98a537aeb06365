// Access log records (`GET /api/v2/access_logs` items, also the webhook
// `access_log.created` payload items): reading and the Read/Create/Update/Delete decision.

import { fail, idOf, int, ipOf, isObject, text, timeOf, type Raw } from './fields.js';

export interface AccessLog {
  id: string;
  time: number;
  timestamp: string;
  userId?: string;
  ip?: string;
  method?: string;
  url?: string;
  path?: string;
  query?: string;
  status?: number;
  bytesSent?: number;
  userAgent?: string;
  referrer?: string;
  category?: string;
  summary?: string;
  authorizationType?: string;
  graphql?: { operationName?: string; operationType?: string; raw: Raw };
  raw: Raw;
}

export const ACCESS_LOG_MAPPED_KEYS: ReadonlySet<string> = new Set([
  'id', 'timestamp', 'user_id', 'ip_address', 'method', 'url', 'status', 'bytes_sent', 'client', 'referer', 'summary',
]);

export function readAccessLog(raw: unknown): AccessLog {
  if (!isObject(raw)) fail('access_log', 'record is not a JSON object');
  const id = idOf(raw.id);
  if (id === undefined) fail('access_log', `missing or invalid "id" (${JSON.stringify(raw.id)})`);
  const time = timeOf(raw.timestamp);
  if (time === undefined || typeof raw.timestamp !== 'string') fail('access_log', `missing or invalid "timestamp" in record ${id}`);
  if (raw.status !== undefined && raw.status !== null && int(raw.status) === undefined) fail('access_log', `"status" is not an integer in record ${id}`);
  const url = text(raw.url);
  const q = url?.indexOf('?') ?? -1;
  const g = isObject(raw.graphql) ? raw.graphql : undefined;
  return {
    id,
    time,
    timestamp: raw.timestamp,
    userId: idOf(raw.user_id),
    ip: ipOf(raw.ip_address),
    method: text(raw.method)?.toUpperCase(),
    url,
    path: url === undefined ? undefined : q >= 0 ? url.slice(0, q) || undefined : url,
    query: url !== undefined && q >= 0 ? url.slice(q + 1) || undefined : undefined,
    status: int(raw.status),
    bytesSent: int(raw.bytes_sent),
    userAgent: text(raw.client),
    referrer: text(raw.referer),
    category: text(raw.category),
    summary: text(raw.summary),
    authorizationType: text(raw.authorization_type),
    graphql: g ? { operationName: text(g.operation_name), operationType: text(g.operation_type)?.toUpperCase(), raw: g } : undefined,
    raw,
  };
}

export type AccessActivity = 'read' | 'create' | 'update' | 'delete' | 'other' | 'unknown';

export const HTTP_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'TRACE'] as const;

// POSTs that only read: searches, exports, counts, lookups of many records at once.
const READ_ONLY_POST_PATH = /\/(search|autocomplete|show_many|count|export|preview|lookup|query)(\.json)?$|\/search\//i;
const READ_ONLY_SUMMARY = /^(search|view|list|show|get|count|export|preview|lookup|find|read|download)\b/i;

export function accessActivity(a: AccessLog): AccessActivity {
  switch (a.method) {
    case undefined:
      return 'unknown';
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
      return 'read';
    case 'POST':
      if (a.graphql) return a.graphql.operationType === 'MUTATION' ? 'update' : 'read';
      if (a.path && READ_ONLY_POST_PATH.test(a.path)) return 'read';
      if (a.summary && READ_ONLY_SUMMARY.test(a.summary)) return 'read';
      return 'create';
    case 'PUT':
    case 'PATCH':
      return 'update';
    case 'DELETE':
      return 'delete';
    default:
      return 'other';
  }
}

/** The API operation name: the summary, else the GraphQL operation, else "METHOD path". */
export function accessOperation(a: AccessLog): string {
  if (a.summary) return a.summary;
  if (a.graphql?.operationName) return `${(a.graphql.operationType ?? 'query').toLowerCase()} ${a.graphql.operationName}`;
  return `${a.method ?? 'UNKNOWN'} ${a.path ?? '/'}`;
}

/** The record an API path addresses, e.g. /api/v2/tickets/123.json -> {type: "tickets", uid: "123"}. */
export function accessResource(a: AccessLog): { type: string; uid: string } | undefined {
  if (!a.path) return undefined;
  const m = /\/(?:api\/v2|agent)\/([a-z_]+)\/(\d+)(?:\.json)?(?:\/|$)/i.exec(a.path);
  return m ? { type: m[1]!, uid: m[2]! } : undefined;
}

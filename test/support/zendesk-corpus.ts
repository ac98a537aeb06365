// A seeded corpus of Zendesk records for the mapper tests and the bench: every audit-log
// source_type x action (known and unknown), every ticket event type (both audit shapes),
// every HTTP method and a spread of statuses, with IPv6, unicode, nulls and missing fields.
// Same seed, same records. Independent of the simulator on purpose.

import type { SourceRecord } from '../../src/core/types.js';
import { AUDIT_ACTIONS, SOURCE_TYPES } from '../../transforms/zendesk/audit-log.js';
import { TICKET_EVENT_TYPES } from '../../transforms/zendesk/ticket-audit.js';
import { mulberry32 } from './random.js';

type Raw = Record<string, unknown>;

export const UNKNOWN_SOURCE_TYPES = ['custom_thing', 'zendesk/explore/dashboard', 'voice_greeting', 'sunshine_profile'];
export const UNKNOWN_ACTIONS = ['suspend', 'restore', 'merge'];
export const UNKNOWN_TICKET_EVENT_TYPES = ['KnowledgeLinked', 'FutureEventType', 'AiAgentReply'];
export const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'TRACE', 'PURGE', 'get'];
export const STATUSES = [200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 502, 503, 504];

const NAMES = ['Sameer Patel', 'Zoë Ångström', '李小龙', 'Ørjan Nilsen', 'Amara Okafor', 'José García', 'Дмитрий Иванов', 'محمد علي', '🙂 Emoji Bot'];
const ROLES = ['End User', 'Light Agent', 'Agent', 'Team Leader', 'Administrator', 'Admin', 'Account Owner', 'Billing Admin', 'Contributor', 'Advisor'];
const LOCATIONS = ['San Francisco, CA, United States', 'Oslo, Norway', 'København', 'São Paulo, SP, Brazil', '東京, Japan'];
const METHODS_SIGN_IN = ['Zendesk', 'Google', 'Microsoft', 'SAML', 'JWT', 'Single sign-on', 'OAuth'];
const SECURITY_LABELS = [
  'Two-Factor authentication for all admins and agents', 'Require Two Factor', 'Single sign-on (SSO): SAML', 'Credit Card Redaction',
  'Account Assumption', 'Assumption duration', 'Zendesk Support Mobile App Access', 'Password policy', 'IP Restriction', 'API token access',
  'Ticket redaction', 'Session expiration', 'Brand color',
];

function ipv4(r: () => number): string {
  return `${[198, 203, 192, 100][Math.floor(r() * 4)]}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
}
function ipv6(r: () => number): string {
  const h = () => Math.floor(r() * 65536).toString(16);
  return r() < 0.5 ? `2001:db8::${h()}:${h()}` : `2001:db8:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}`;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function iso(ms: number, r: () => number): string {
  const s = new Date(ms).toISOString();
  const v = r();
  if (v < 0.8) return s.replace(/\.\d{3}Z$/, 'Z'); // as Zendesk writes it
  if (v < 0.9) return s; // with milliseconds
  const d = new Date(ms + 2 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+02:00');
  return d;
}

function changeDescription(r: () => number, sourceType: string, action: string, label: string): string | null | undefined {
  const v = r();
  if (v < 0.04) return null;
  if (v < 0.07) return undefined;
  if (v < 0.1) return '';
  if (action === 'login') {
    if (r() < 0.2) return 'Signed in';
    const v2 = r();
    const loc = v2 < 0.4 ? pick(r, LOCATIONS) : v2 < 0.6 ? 'https://acme.zendesk.com/access/login' : v2 < 0.8 ? ipv4(r) : ipv6(r);
    return `${r() < 0.7 ? 'Successful' : 'Failed'} sign-in using ${pick(r, METHODS_SIGN_IN)} from ${loc}`;
  }
  if (action === 'exported') return `Exported ${label} to CSV`;
  if (sourceType === 'user' && action === 'update') {
    const w = r();
    if (w < 0.35) return `Role changed from ${pick(r, ROLES)} to ${pick(r, ROLES)}`;
    if (w < 0.45) return `Support role changed from ${pick(r, ROLES)} to ${pick(r, ROLES)}\nGuide role changed from Viewer to Manager`;
    if (w < 0.55) return r() < 0.5 ? 'Password changed' : 'Password reset';
    if (w < 0.6) return r() < 0.5 ? 'Two-factor authentication enabled' : 'Two-factor authentication disabled';
    if (w < 0.7) return `Email changed from a@example.com to ${pick(r, NAMES)}@example.com`;
    if (w < 0.75) return 'Organization: Ünïcødé Org is assigned';
  }
  if (sourceType === 'user_setting') return r() < 0.5 ? 'Suspended' : 'Unsuspended';
  if (sourceType === 'account' && r() < 0.5) return `Owner changed from ${pick(r, NAMES)} to ${pick(r, NAMES)}`;
  if (sourceType.includes('setting')) return pick(r, ['Enabled', 'Disabled', 'Changed', 'Turned off', 'changed from on to off', `Value changed from 30 to 60`, `${label} changed from Off to On`, `${label} changed from Required to Optional`, `${label} changed from SAML to Zendesk authentication`]);
  if (sourceType === 'apitoken' || sourceType === 'api_token') return action === 'create' ? 'API token created' : 'description changed from not set to SIEM forwarder';
  if (sourceType === 'group' && action === 'update') return r() < 0.5 ? `Agent ${pick(r, NAMES)} added` : `Agent ${pick(r, NAMES)} removed`;
  if (sourceType === 'rule') return pick(r, ['Trigger: Notify requester', 'Active changed from true to false', 'Deactivated', 'Title changed from A to B']);
  return pick(r, [`${action} ${label}`, 'Changed', `Name changed from ${pick(r, NAMES)} to ${pick(r, NAMES)}`, 'Ünïcødé description ✓', 'multi\nline\ndescription']);
}

function labelFor(r: () => number, sourceType: string): string | null {
  if (r() < 0.04) return null;
  if (sourceType.includes('setting')) return pick(r, SECURITY_LABELS);
  if (sourceType === 'user_setting') return `Suspension state: ${pick(r, NAMES)}`;
  if (sourceType === 'user') return pick(r, NAMES);
  if (sourceType === 'account') return 'Account: Account';
  return `${sourceType} ${pick(r, NAMES)}`;
}

export function auditLogRecord(r: () => number, n: number, sourceType: string, action: string, baseMs: number): SourceRecord {
  const time = baseMs + n * 7_000;
  const label = labelFor(r, sourceType);
  const raw: Raw = {
    action,
    actor_id: r() < 0.05 ? -1 : r() < 0.05 ? null : 1000 + Math.floor(r() * 50),
    actor_name: r() < 0.05 ? null : pick(r, NAMES),
    created_at: iso(time, r),
    id: r() < 0.2 ? String(5_000_000 + n) : 5_000_000 + n,
    ip_address: (() => {
      const v = r();
      return v < 0.55 ? ipv4(r) : v < 0.8 ? ipv6(r) : v < 0.9 ? null : v < 0.95 ? '' : 'unknown';
    })(),
    source_id: r() < 0.05 ? null : 10_000 + Math.floor(r() * 500),
    source_label: label,
    source_type: sourceType,
    url: `https://acme.zendesk.com/api/v2/audit_logs/${5_000_000 + n}`,
  };
  if (r() < 0.8) raw.action_label = action[0]!.toUpperCase() + action.slice(1);
  const cd = changeDescription(r, sourceType, action, label ?? sourceType);
  if (cd !== undefined) raw.change_description = cd;
  if (r() < 0.03) raw.extra_future_field = { nested: [1, null, 'x'] };
  return { account: 'acme', stream: 'audit_log', id: String(5_000_000 + n), time: Math.floor(time / 1000) * 1000, raw };
}

/** Every source_type x action (known and unknown) `repeat` times, in a seeded order. */
export function auditLogCorpus(seed = 1, repeat = 6): SourceRecord[] {
  const r = mulberry32(seed);
  const types = [...Object.keys(SOURCE_TYPES), ...UNKNOWN_SOURCE_TYPES];
  const actions = [...AUDIT_ACTIONS, ...UNKNOWN_ACTIONS];
  const out: SourceRecord[] = [];
  let n = 0;
  const base = Date.parse('2026-01-01T00:00:00Z');
  for (let k = 0; k < repeat; k++) for (const t of types) for (const a of actions) out.push(auditLogRecord(r, n++, t, a, base));
  return out;
}

function childEvent(r: () => number, type: string, id: number, incremental: boolean): Raw {
  const c: Raw = { id: r() < 0.05 ? null : id };
  c[incremental && r() < 0.5 ? 'event_type' : 'type'] = type;
  if (incremental && c.type === undefined && r() < 0.5) c.type = type;
  switch (type) {
    case 'Create':
    case 'Change':
      c.field_name = pick(r, ['status', 'priority', 'subject', 'tags', 'assignee_id', 'custom_status_id', 'first_reply_time']);
      c.value = c.field_name === 'tags' ? ['vip', 'ünïcødé'] : c.field_name === 'first_reply_time' ? { minutes: 1440, in_business_hours: false } : r() < 0.1 ? null : 'open';
      if (type === 'Change') c.previous_value = r() < 0.1 ? null : c.field_name === 'custom_status_id' ? 1 : 'new';
      break;
    case 'Comment':
    case 'VoiceComment':
      c.body = pick(r, ['Thanks for your help!', 'Ünïcødé — 日本語 — 🙂', 'Call me at +1 555 0100, mail me at jane@example.com', '']);
      c.html_body = `<p>${String(c.body)}</p>`;
      c.public = r() < 0.5;
      c.author_id = r() < 0.1 ? -1 : 2000 + Math.floor(r() * 20);
      c.attachments = r() < 0.2 ? [{ id: 1, file_name: 'löst.pdf', content_url: 'https://acme.zendesk.com/a/1', size: 10 }] : [];
      break;
    case 'Notification':
    case 'NotificationWithCcs':
    case 'FollowerNotification':
      c.subject = 'Your ticket has been updated';
      c.body = 'Ticket #47 has been updated';
      c.recipients = [2001, 2002];
      break;
    case 'TicketSharingEvent':
      c.agreement_id = 3454;
      c.action = r() < 0.5 ? 'shared' : 'unshared';
      break;
    case 'EmailCcChange':
      c.previous_email_ccs = ['a@example.com'];
      c.current_email_ccs = ['a@example.com', 'b@example.com'];
      break;
    case 'FollowerChange':
      c.previous_followers = ['c@example.com'];
      c.current_followers = [];
      break;
    case 'CommentRedactionEvent':
    case 'AttachmentRedactionEvent':
      c.comment_id = 1564245;
      break;
    case 'AgentMacroReference':
      c.macro_id = '123';
      c.macro_title = 'Quick response';
      break;
    default:
      c.body = r() < 0.3 ? null : `${type} payload`;
  }
  return c;
}

export function ticketAuditRecord(r: () => number, n: number, types: string[], baseMs: number): SourceRecord {
  const time = baseMs + n * 11_000;
  const incremental = r() < 0.5;
  const id = 90_000_000 + n;
  const children = types.map((t, i) => childEvent(r, t, id * 10 + i, incremental));
  if (r() < 0.05) children.push(null as unknown as Raw); // a null child must not break mapping
  const system: Raw = {};
  const v = r();
  if (v < 0.85) {
    system.ip_address = r() < 0.6 ? ipv4(r) : ipv6(r);
    if (r() < 0.7) system.client = pick(r, ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/131.0 Safari/537.36', 'Zendesk SIEM forwarder/1.0', 'curl/8.0 ünï']);
    if (r() < 0.6) system.location = pick(r, LOCATIONS);
    if (r() < 0.3) {
      system.latitude = 37.7749;
      system.longitude = -122.4194;
    }
  } else if (v < 0.92) system.ip_address = null;
  const raw: Raw = incremental
    ? {
        id,
        ticket_id: r() < 0.1 ? String(100 + n) : 100 + n,
        timestamp: Math.floor(time / 1000),
        created_at: r() < 0.5 ? iso(time, r) : undefined,
        updater_id: r() < 0.1 ? -1 : r() < 0.05 ? null : 2000 + Math.floor(r() * 20),
        via: { channel: pick(r, ['web', 'api', 'email', 'rule']), source: { from: {}, to: {}, rel: null } },
        system,
        event_type: 'Audit',
        merged_ticket_ids: [],
        child_events: children,
      }
    : {
        id,
        ticket_id: 100 + n,
        created_at: iso(time, r),
        author_id: r() < 0.1 ? -1 : 2000 + Math.floor(r() * 20),
        metadata: { custom: r() < 0.3 ? { time_spent: '3m22s' } : {}, system },
        via: { channel: pick(r, ['web', 'api', 'email', 'rule']) },
        events: children,
      };
  if (raw.created_at === undefined) delete raw.created_at;
  return { account: 'acme', stream: 'ticket_audit', id: String(id), time: Math.floor(time / 1000) * 1000, raw };
}

/** Every ticket event type alone and in random mixes; plus empty audits and a metric-shaped item. */
export function ticketAuditCorpus(seed = 2, count = 1500): SourceRecord[] {
  const r = mulberry32(seed);
  const all = [...TICKET_EVENT_TYPES, ...UNKNOWN_TICKET_EVENT_TYPES];
  const out: SourceRecord[] = [];
  const base = Date.parse('2026-01-01T00:00:00Z');
  let n = 0;
  for (const t of all) out.push(ticketAuditRecord(r, n++, [t], base));
  out.push(ticketAuditRecord(r, n++, [], base));
  out.push({ account: 'acme', stream: 'ticket_audit', id: '926256957613', time: 1603716792000, raw: { id: 926256957613, instance_id: 1, metric: 'agent_work_time', ticket_id: 155, time: '2020-10-26T12:53:12Z', type: 'measure' } });
  while (out.length < count) {
    const k = 1 + Math.floor(r() * 6);
    const types = Array.from({ length: k }, () => pick(r, all));
    out.push(ticketAuditRecord(r, n++, types, base));
  }
  return out;
}

export function accessLogRecord(r: () => number, n: number, method: string | undefined, status: number | null | undefined, baseMs: number): SourceRecord {
  const time = baseMs + n * 3_000;
  const id = `01J${String(n).padStart(8, '0')}ABCDEFGHJKMNPQ`.slice(0, 26);
  const graphql = method === 'POST' && r() < 0.3;
  const url = graphql
    ? '/graphql'
    : pick(r, ['/api/v2/tickets/123.json', '/api/v2/search?query=foobar', '/api/v2/users/6649960843290/related.json', '/api/v2/tickets.json?page=1', '/agent/tickets/42', '/api/v2/search.json?query=ünïcødé%20😀', '/api/v2/users/show_many?ids=1,2', '/api/v2/tickets/123']);
  const raw: Raw = {
    authorization_type: pick(r, ['basic', 'bearer', 'session', 'digest', null]),
    bytes_sent: r() < 0.1 ? null : Math.floor(r() * 100_000),
    category: r() < 0.1 ? null : r() < 0.1 ? '' : pick(r, ['Search', 'Ticket', 'Tickets', 'Users', 'Profiles API']),
    client: r() < 0.1 ? null : pick(r, ['Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0', 'Zendesk/1.0', 'python-requests/2.32']),
    id,
    ip_address: r() < 0.6 ? ipv4(r) : r() < 0.8 ? ipv6(r) : r() < 0.5 ? null : '',
    referer: r() < 0.3 ? null : pick(r, ['/agent/dashboard', 'https://acme.zendesk.com/agent/tickets/1']),
    summary: r() < 0.2 ? null : pick(r, ['Search tickets', 'View ticket', 'Show user', 'Update ticket', 'Delete ticket', 'List tickets', 'Create ticket']),
    timestamp: iso(time, r),
    url: r() < 0.03 ? null : url,
    user_id: r() < 0.05 ? null : r() < 0.3 ? String(6_596_848_315_901 + n) : 321 + n,
  };
  if (method !== undefined) raw.method = method;
  if (status !== undefined) raw.status = status;
  if (graphql) raw.graphql = { operation_name: pick(r, ['ticket', 'updateTicket', 'search']), operation_type: r() < 0.6 ? 'QUERY' : 'MUTATION', query: 'query ticket($id: ID!) { ticket(id: $id) { id } }', variables: '{"id":"1"}' };
  else if (r() < 0.2) raw.graphql = null;
  if (r() < 0.1) raw.origin_service = 'Zendesk';
  return { account: 'acme', stream: 'access_log', id, time: Math.floor(time / 1000) * 1000, raw };
}

/** Every method x status, plus missing method/status, padded with random records. */
export function accessLogCorpus(seed = 3, count = 1500): SourceRecord[] {
  const r = mulberry32(seed);
  const out: SourceRecord[] = [];
  const base = Date.parse('2026-01-01T00:00:00Z');
  let n = 0;
  for (const m of [...METHODS, undefined]) for (const s of [...STATUSES, null, undefined]) out.push(accessLogRecord(r, n++, m, s, base));
  while (out.length < count) out.push(accessLogRecord(r, n++, pick(r, METHODS), pick(r, STATUSES), base));
  return out;
}

/** The whole corpus: several thousand records across the three streams. */
export function zendeskCorpus(seed = 42): SourceRecord[] {
  return [...auditLogCorpus(seed), ...ticketAuditCorpus(seed + 1), ...accessLogCorpus(seed + 2)];
}

// Account audit log records (`GET /api/v2/audit_logs` items): strict reading and a
// schema-neutral classification that the OCSF and ECS mappers both switch on, so the two
// schemas always agree on what a record is.

import { parseChange, type ParsedChange } from '../enrich/patterns.js';
import { fail, idOf, ipOf, isObject, text, timeOf, type Raw } from './fields.js';

export interface AuditLog {
  id: string;
  time: number;
  createdAt: string;
  action: string;
  actionLabel?: string;
  actorId?: string;
  actorName?: string;
  changeDescription: string;
  ip?: string;
  sourceId?: string;
  sourceLabel?: string;
  sourceType: string;
  url?: string;
  raw: Raw;
}

/** Keys the mappers place in first-class fields; the rest goes to OCSF `unmapped` / ECS `zendesk.audit_log`. */
export const AUDIT_LOG_MAPPED_KEYS: ReadonlySet<string> = new Set([
  'id', 'created_at', 'action', 'actor_id', 'actor_name', 'change_description', 'ip_address', 'source_id', 'source_label',
]);

export function readAuditLog(raw: unknown): AuditLog {
  if (!isObject(raw)) fail('audit_log', 'record is not a JSON object');
  const id = idOf(raw.id);
  if (id === undefined) fail('audit_log', `missing or invalid "id" (${JSON.stringify(raw.id)})`);
  const createdAt = raw.created_at;
  const time = timeOf(createdAt);
  if (time === undefined || typeof createdAt !== 'string') fail('audit_log', `missing or invalid "created_at" (${JSON.stringify(createdAt)}) in record ${id}`);
  if (typeof raw.action !== 'string' || raw.action.trim() === '') fail('audit_log', `missing or invalid "action" in record ${id}`);
  if (typeof raw.source_type !== 'string' || raw.source_type.trim() === '') fail('audit_log', `missing or invalid "source_type" in record ${id}`);
  if (raw.change_description !== undefined && raw.change_description !== null && typeof raw.change_description !== 'string') {
    fail('audit_log', `"change_description" is not a string in record ${id}`);
  }
  return {
    id,
    time,
    createdAt,
    action: raw.action.trim().toLowerCase(),
    actionLabel: text(raw.action_label),
    actorId: idOf(raw.actor_id),
    actorName: text(raw.actor_name),
    changeDescription: typeof raw.change_description === 'string' ? raw.change_description : '',
    ip: ipOf(raw.ip_address),
    sourceId: idOf(raw.source_id),
    sourceLabel: text(raw.source_label),
    sourceType: raw.source_type.trim().toLowerCase(),
    url: text(raw.url),
    raw,
  };
}

// ---------------------------------------------------------------- source types

export type Family = 'user' | 'user_setting' | 'group' | 'group_membership' | 'organization' | 'credential' | 'rule' | 'app' | 'setting' | 'account' | 'ticket' | 'config';

export interface SourceTypeInfo {
  family: Family;
  /** Human entity type for OCSF `entity.type` / ECS `zendesk.audit_log.entity_type`. */
  entity: string;
}

/**
 * The source types the mappers know. Anything else is "unknown" and becomes OCSF API Activity
 * with `api.operation = "<source_type>.<action>"` (Zendesk adds types over time).
 */
export const SOURCE_TYPES: Readonly<Record<string, SourceTypeInfo>> = {
  user: { family: 'user', entity: 'User' },
  user_setting: { family: 'user_setting', entity: 'User Setting' },
  group: { family: 'group', entity: 'Group' },
  group_membership: { family: 'group_membership', entity: 'Group Membership' },
  organization: { family: 'organization', entity: 'Organization' },
  organization_membership: { family: 'organization', entity: 'Organization Membership' },
  apitoken: { family: 'credential', entity: 'API Token' },
  api_token: { family: 'credential', entity: 'API Token' },
  oauth_token: { family: 'credential', entity: 'OAuth Token' },
  oauth_client: { family: 'credential', entity: 'OAuth Client' },
  rule: { family: 'rule', entity: 'Rule' },
  trigger: { family: 'rule', entity: 'Trigger' },
  macro: { family: 'rule', entity: 'Macro' },
  automation: { family: 'rule', entity: 'Automation' },
  view: { family: 'rule', entity: 'View' },
  sla_policy: { family: 'rule', entity: 'SLA Policy' },
  'zendesk/app_market/app': { family: 'app', entity: 'App' },
  app: { family: 'app', entity: 'App' },
  app_installation: { family: 'app', entity: 'App Installation' },
  account_setting: { family: 'setting', entity: 'Account Setting' },
  account_settings: { family: 'setting', entity: 'Account Setting' },
  security_setting: { family: 'setting', entity: 'Security Setting' },
  security_settings: { family: 'setting', entity: 'Security Setting' },
  account: { family: 'account', entity: 'Account' },
  ticket: { family: 'ticket', entity: 'Ticket' },
  ticket_field: { family: 'config', entity: 'Ticket Field' },
  ticket_form: { family: 'config', entity: 'Ticket Form' },
  user_field: { family: 'config', entity: 'User Field' },
  organization_field: { family: 'config', entity: 'Organization Field' },
  brand: { family: 'config', entity: 'Brand' },
  custom_role: { family: 'config', entity: 'Custom Role' },
  dynamic_content_item: { family: 'config', entity: 'Dynamic Content' },
  target: { family: 'config', entity: 'Target' },
  webhook: { family: 'config', entity: 'Webhook' },
  custom_object: { family: 'config', entity: 'Custom Object' },
};

/** The audit log actions Zendesk documents; others map to the "Other" fallbacks. */
export const AUDIT_ACTIONS = ['create', 'update', 'destroy', 'login', 'exported'] as const;

// ---------------------------------------------------------------- classification

export type SignInOutcome = 'success' | 'failure' | 'unknown';

export type AuditClass =
  | { kind: 'sign_in'; outcome: SignInOutcome; method?: string; location?: string }
  | { kind: 'account'; activity: 'create' | 'delete' | 'enable' | 'disable' | 'password_change' | 'password_reset' | 'mfa_enable' | 'mfa_disable' }
  | { kind: 'privileges'; activity: 'assign' | 'revoke'; privileges: string[]; before: string[]; after: string[] }
  | { kind: 'group'; activity: 'create' | 'delete' | 'add_user' | 'remove_user' | 'other' }
  | { kind: 'entity'; activity: 'create' | 'update' | 'delete' | 'enable' | 'disable' | 'other'; entity: string; family: Family }
  | { kind: 'export'; entity: string }
  | { kind: 'api'; activity: 'create' | 'update' | 'delete' | 'other' };

/** Rough privilege rank of Zendesk roles; custom roles count as agents. */
export function roleRank(role: string): number {
  const r = role.toLowerCase();
  if (/owner/.test(r)) return 5;
  if (/admin/.test(r)) return 4;
  if (/end[- ]?user|customer|requester/.test(r)) return 0;
  if (/light agent|contributor|viewer|no access|not set|none/.test(r)) return 1;
  if (/team lead|advisor|manager/.test(r)) return 3;
  return 2;
}

export function isAdminRole(role: string | boolean | undefined): boolean {
  return typeof role === 'string' && roleRank(role) >= 4;
}

const CRUD: Record<string, 'create' | 'update' | 'delete'> = { create: 'create', update: 'update', destroy: 'delete' };

export function classifyAuditLog(a: AuditLog, changes: ParsedChange[] = parseAuditChange(a)): AuditClass {
  const first = changes[0];
  if (a.action === 'login') {
    const outcome: SignInOutcome = first?.pattern === 'sign_in' ? (first.after as SignInOutcome) : 'unknown';
    return { kind: 'sign_in', outcome, method: first?.details?.method, location: first?.details?.location };
  }
  const info = SOURCE_TYPES[a.sourceType];
  if (a.action === 'exported') return { kind: 'export', entity: info?.entity ?? a.sourceType };
  if (!info) return { kind: 'api', activity: CRUD[a.action] ?? 'other' };

  const crud = CRUD[a.action];
  switch (info.family) {
    case 'user':
    case 'user_setting': {
      if (first?.pattern === 'role_change') {
        const raised = changes.some((c) => roleRank(String(c.after)) > roleRank(String(c.before)));
        const lowered = changes.every((c) => roleRank(String(c.after)) < roleRank(String(c.before)));
        const assign = raised || !lowered;
        const before = changes.map((c) => String(c.before));
        const after = changes.map((c) => String(c.after));
        return { kind: 'privileges', activity: assign ? 'assign' : 'revoke', privileges: assign ? after : before, before, after };
      }
      if (first?.pattern === 'suspension') return { kind: 'account', activity: first.after === true ? 'disable' : 'enable' };
      if (first?.pattern === 'password') return { kind: 'account', activity: first.after === 'reset' ? 'password_reset' : 'password_change' };
      if (first?.pattern === 'two_factor' && typeof first.after === 'boolean') return { kind: 'account', activity: first.after ? 'mfa_enable' : 'mfa_disable' };
      if (info.family === 'user' && crud === 'create') return { kind: 'account', activity: 'create' };
      if (info.family === 'user' && crud === 'delete') return { kind: 'account', activity: 'delete' };
      return entity(info, crud, first);
    }
    case 'group':
    case 'group_membership': {
      if (info.family === 'group_membership' && crud === 'create') return { kind: 'group', activity: 'add_user' };
      if (info.family === 'group_membership' && crud === 'delete') return { kind: 'group', activity: 'remove_user' };
      if (crud === 'create') return { kind: 'group', activity: 'create' };
      if (crud === 'delete') return { kind: 'group', activity: 'delete' };
      if (/\b(added|assigned)\b/i.test(a.changeDescription)) return { kind: 'group', activity: 'add_user' };
      if (/\b(removed|unassigned)\b/i.test(a.changeDescription)) return { kind: 'group', activity: 'remove_user' };
      return { kind: 'group', activity: 'other' };
    }
    default:
      return entity(info, crud, first);
  }
}

function entity(info: SourceTypeInfo, crud: 'create' | 'update' | 'delete' | undefined, first: ParsedChange | undefined): AuditClass {
  let activity: 'create' | 'update' | 'delete' | 'enable' | 'disable' | 'other' = crud ?? 'other';
  // An on/off change of a setting or rule reads better as Enable/Disable than as Update.
  if (crud === 'update' && first && typeof first.after === 'boolean' && first.pattern !== 'suspension') activity = first.after ? 'enable' : 'disable';
  return { kind: 'entity', activity, entity: info.entity, family: info.family };
}

export function parseAuditChange(a: AuditLog): ParsedChange[] {
  if (!a.changeDescription) return [];
  return parseChange({ changeDescription: a.changeDescription, sourceType: a.sourceType, sourceLabel: a.sourceLabel, action: a.action });
}

/** The affected user's display name: "Suspension state: Bob Cat" -> "Bob Cat". */
export function targetName(a: AuditLog): string | undefined {
  if (!a.sourceLabel) return undefined;
  if (a.sourceType === 'user_setting') {
    const m = /^[^:]+:\s*(.+)$/.exec(a.sourceLabel);
    if (m) return m[1];
  }
  return a.sourceLabel;
}

/** Whether the record is about a user (so `source_*` describe the target user). */
export function isUserSource(a: AuditLog): boolean {
  return a.sourceType === 'user' || a.sourceType === 'user_setting';
}

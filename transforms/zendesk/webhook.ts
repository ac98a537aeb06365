// Zendesk event webhooks (stream `webhook`, from the `zendesk_webhook` source): read the
// envelope { type, id, time, account_id, zendesk_event_version, subject, detail, event } and
// classify the event type. Every user, organization and ticket event type Zendesk documents
// (developer.zendesk.com/api-reference/webhooks/event-types/) is in the table; any other type
// throws, so the pipeline dead-letters it with the reason.

import type { ParsedChange } from '../enrich/patterns.js';
import { fail, idOf, isObject, text, timeOf, type Raw } from './fields.js';

export type WebhookFamily = 'user' | 'organization' | 'ticket';

/**
 * What an event type means for the mappers:
 *   account: a user account created/deleted/enabled/disabled/password/identity (OCSF 3001, ECS iam user)
 *   privileges: role changes (OCSF 3005, ECS iam user change)
 *   membership: user added to / removed from a group or organization (OCSF 3006, ECS iam group)
 *   entity: any other change of a user, organization or ticket (OCSF 3004, ECS iam/configuration)
 */
export type WebhookKind = 'account' | 'privileges' | 'membership' | 'entity';
export type WebhookVerb = 'create' | 'update' | 'delete' | 'enable' | 'disable' | 'password_change' | 'identity' | 'add' | 'remove';

interface TypeInfo {
  kind: WebhookKind;
  verb: WebhookVerb;
}

const entity = (verb: WebhookVerb = 'update'): TypeInfo => ({ kind: 'entity', verb });

/** Every documented type: `family.name` → meaning. `active_changed`/`suspended_changed` pick enable/disable from `event.current`. */
export const WEBHOOK_EVENT_TYPES: Readonly<Record<string, TypeInfo>> = {
  'user.active_changed': { kind: 'account', verb: 'disable' },
  'user.alias_changed': entity(),
  'user.created': { kind: 'account', verb: 'create' },
  'user.custom_field_changed': entity(),
  'user.custom_role_changed': { kind: 'privileges', verb: 'update' },
  'user.default_group_changed': entity(),
  'user.deleted': { kind: 'account', verb: 'delete' },
  'user.details_changed': entity(),
  'user.external_id_changed': entity(),
  'user.group_membership_created': { kind: 'membership', verb: 'add' },
  'user.group_membership_deleted': { kind: 'membership', verb: 'remove' },
  'user.identity_changed': { kind: 'account', verb: 'identity' },
  'user.identity_created': { kind: 'account', verb: 'identity' },
  'user.identity_deleted': { kind: 'account', verb: 'identity' },
  'user.last_login_changed': entity(),
  'user.merged': entity('delete'),
  'user.name_changed': entity(),
  'user.notes_changed': entity(),
  'user.only_private_comments_changed': entity(),
  'user.organization_membership_created': { kind: 'membership', verb: 'add' },
  'user.organization_membership_deleted': { kind: 'membership', verb: 'remove' },
  'user.password_changed': { kind: 'account', verb: 'password_change' },
  'user.photo_changed': entity(),
  'user.role_changed': { kind: 'privileges', verb: 'update' },
  'user.suspended_changed': { kind: 'account', verb: 'disable' },
  'user.tags_changed': entity(),
  'user.time_zone_changed': entity(),
  'organization.created': entity('create'),
  'organization.custom_field_changed': entity(),
  'organization.deleted': entity('delete'),
  'organization.external_id_changed': entity(),
  'organization.name_changed': entity(),
  'organization.tags_changed': entity(),
  ...Object.fromEntries(
    [
      'agent_assignment_changed', 'attachment_linked_to_comment', 'attachment_redacted_from_comment', 'brand_changed', 'comment_added', 'comment_made_private',
      'comment_redacted', 'custom_field_changed', 'custom_status_changed', 'description_changed', 'email_ccs_changed', 'external_id_changed', 'followers_changed',
      'form_changed', 'group_assignment_changed', 'marked_as_spam', 'merged', 'next_sla_breach_changed', 'ola_policy_changed', 'organization_changed',
      'priority_changed', 'problem_link_changed', 'requester_changed', 'schedule_changed', 'sla_policy_changed', 'status_changed', 'subject_changed',
      'submitter_changed', 'tags_changed', 'task_due_at_changed', 'type_changed',
    ].map((n) => [`ticket.${n}`, entity()]),
  ),
  'ticket.created': entity('create'),
  'ticket.soft_deleted': entity('delete'),
  'ticket.permanently_deleted': entity('delete'),
  'ticket.undeleted': entity('update'),
};

export interface WebhookEvent {
  /** Zendesk's event id (UUID). */
  id: string;
  /** Full type, e.g. `zen:event-type:user.role_changed`. */
  type: string;
  family: WebhookFamily;
  /** e.g. `role_changed` */
  name: string;
  kind: WebhookKind;
  verb: WebhookVerb;
  time: number;
  originalTime: string;
  /** Zendesk's numeric account id, as text. */
  accountId?: string;
  /** e.g. `zen:user:6596848315901` */
  subject?: string;
  /** The id of the user, organization or ticket the event is about. */
  subjectId?: string;
  detail: Raw;
  event: Raw;
  /** The user whose action caused it (ticket events: detail.actor_id), when Zendesk says. */
  actorId?: string;
  raw: Raw;
}

export const WEBHOOK_MAPPED_KEYS: ReadonlySet<string> = new Set(['type', 'id', 'time', 'account_id', 'subject', 'detail', 'event']);

export function readWebhookEvent(body: Raw): WebhookEvent {
  const type = text(body.type);
  if (!type) fail('webhook', 'missing "type"');
  const m = /^zen:event-type:([a-z_]+)\.([a-z_]+)$/.exec(type);
  const key = m ? `${m[1]}.${m[2]}` : '';
  const info = WEBHOOK_EVENT_TYPES[key];
  if (!m || !info) fail('webhook', `unknown webhook event type "${type.slice(0, 100)}" (user, organization and ticket events are mapped)`);
  const id = text(body.id);
  if (!id) fail('webhook', 'missing "id"');
  const originalTime = text(body.time);
  const time = timeOf(originalTime);
  if (!originalTime || time === undefined) fail('webhook', 'missing or invalid "time"');
  const detail = isObject(body.detail) ? body.detail : {};
  const event = isObject(body.event) ? body.event : {};
  const subject = text(body.subject);
  const family = m[1] as WebhookFamily;
  let verb = info.verb;
  // active_changed / suspended_changed: current=false (active) or true (suspended) disables.
  if (key === 'user.active_changed') verb = event.current === false ? 'disable' : 'enable';
  if (key === 'user.suspended_changed') verb = event.current === true ? 'disable' : 'enable';
  const out: WebhookEvent = {
    id,
    type,
    family,
    name: m[2]!,
    kind: info.kind,
    verb,
    time,
    originalTime,
    accountId: idOf(body.account_id),
    subject,
    subjectId: idOf(detail.id) ?? (subject ? subject.split(':').pop() : undefined),
    detail,
    event,
    actorId: idOf(detail.actor_id) ?? idOf(event.actor_id),
    raw: body,
  };
  return out;
}

/** The changes the risk rules read, in the audit log's vocabulary (role_change, suspension...). */
export function webhookChanges(w: WebhookEvent): ParsedChange[] {
  const before = scalar(w.event.previous);
  const after = scalar(w.event.current);
  switch (`${w.family}.${w.name}`) {
    case 'user.role_changed':
    case 'user.custom_role_changed':
      return [{ pattern: 'role_change', field: w.name === 'role_changed' ? 'role' : 'custom role', before: before ?? undefined, after: after ?? undefined }];
    case 'user.suspended_changed':
      return [{ pattern: 'suspension', field: 'suspended', before: w.event.previous === true, after: w.event.current === true }];
    case 'user.active_changed':
      return [{ pattern: 'field_change', field: 'active', before: w.event.previous === true, after: w.event.current === true }];
    case 'user.identity_created':
    case 'user.identity_changed':
    case 'user.identity_deleted':
      return [{ pattern: 'identity', field: 'identity', after: w.name.replace('identity_', '') }];
    case 'user.password_changed':
      return [{ pattern: 'password', field: 'password', after: 'changed' }];
    case 'user.deleted':
      return [{ pattern: 'user_deleted', field: 'user', after: 'deleted' }];
    default:
      return before !== undefined || after !== undefined ? [{ pattern: 'field_change', field: w.name.replace(/_changed$/, ''), before: before ?? undefined, after: after ?? undefined }] : [];
  }
}

/** A readable one-line description, e.g. "user.role_changed: agent → admin". */
export function webhookMessage(w: WebhookEvent): string {
  const before = scalar(w.event.previous);
  const after = scalar(w.event.current);
  const change = before !== undefined || after !== undefined ? `: ${String(before ?? '∅')} → ${String(after ?? '∅')}` : '';
  return `${w.family}.${w.name}${change}`;
}

/** A role as text: system roles are strings, custom roles objects `{ id, name }`. */
export function roleName(v: unknown): string | undefined {
  return text(v) ?? (isObject(v) ? text(v.name) : undefined);
}

// Scalars as they are; an object such as a custom role or an identity by its name or value.
function scalar(v: unknown): string | boolean | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return String(v);
  if (isObject(v)) return text(v.name) ?? text(v.value);
  return undefined;
}

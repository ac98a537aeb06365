// Zendesk event webhook -> one OCSF 1.8.0 event. Class by meaning (see zendesk/webhook.ts):
//   account (user created/deleted/enabled/disabled, password, identity) -> Account Change 3001;
//   role and custom-role changes -> User Access Management 3005; group and organization
//   memberships -> Group Management 3006; every other user, organization or ticket change ->
//   Entity Management 3004. The audit log's risk rules apply to the parsed changes
//   (role_elevated_admin, user_suspension_changed, user_deleted, user_identity_changed).

import type { Enrichment } from '../enrich/index.js';
import { isAdminRole } from '../zendesk/audit-log.js';
import { defined, idOf, rest, text, type Raw } from '../zendesk/fields.js';
import { roleName, webhookMessage, type WebhookEvent } from '../zendesk/webhook.js';
import { ACCOUNT_CHANGE, ENTITY_MANAGEMENT, GROUP_MANAGEMENT, USER_ACCESS, baseEvent, finishEvent, observable, userObject, type OcsfClass } from './common.js';

export interface OcsfWebhookInput {
  uid: string;
  account: string;
  webhook: WebhookEvent;
  enrichment: Enrichment;
  rawData?: boolean;
}

const ACCOUNT_ACTIVITY: Record<string, number> = { create: 1, enable: 2, password_change: 3, disable: 5, delete: 6 };
const ENTITY_ACTIVITY: Record<string, number> = { create: 1, update: 3, delete: 4 };
const ENTITY_TYPE: Record<string, { type: string; type_id: number }> = { user: { type: 'User', type_id: 2 }, organization: { type: 'Organization', type_id: 4 }, ticket: { type: 'Ticket', type_id: 99 } };

/** Fields shared with the audit log record of the same change, for correlation (docs/webhooks.md). */
const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['type', 'id', 'time', 'account_id', 'subject']);

export function mapWebhookOcsf(i: OcsfWebhookInput): Raw {
  const w = i.webhook;
  const target = w.family === 'user' ? userObject(w.subjectId, text(w.detail.email)) : undefined;
  let cls: OcsfClass;
  let activityId: number;
  let otherName: string | undefined;
  const specific: Raw = {};
  switch (w.kind) {
    case 'account':
      cls = ACCOUNT_CHANGE;
      activityId = ACCOUNT_ACTIVITY[w.verb] ?? 99;
      if (activityId === 99) otherName = w.name;
      specific.user = target ?? { name: 'unknown' };
      break;
    case 'privileges': {
      cls = USER_ACCESS;
      const before = roleName(w.event.previous);
      const after = roleName(w.event.current);
      // Moving to an end-user role (or down from admin) revokes; anything else assigns the new role.
      const revoke = after === 'end-user' || (isAdminRole(before) && !isAdminRole(after));
      activityId = revoke ? 2 : 1;
      specific.user = target ?? { name: 'unknown' };
      const privileges = (revoke ? [before] : [after]).filter((x): x is string => x !== undefined);
      if (privileges.length > 0) specific.privileges = privileges;
      break;
    }
    case 'membership': {
      cls = GROUP_MANAGEMENT;
      activityId = w.verb === 'add' ? 3 : 4;
      const isOrg = w.name.startsWith('organization_');
      const groupId = idOf(w.event.group_id) ?? idOf(w.event.organization_id) ?? idOf((w.event.group as Raw | undefined)?.id) ?? idOf((w.event.organization as Raw | undefined)?.id);
      const groupName = text((w.event.group as Raw | undefined)?.name) ?? text((w.event.organization as Raw | undefined)?.name);
      specific.group = defined([['uid', groupId], ['name', groupName ?? (isOrg ? 'organization' : 'group')], ['type', isOrg ? 'Organization' : 'Group']]);
      specific.user = target ?? { name: 'unknown' };
      break;
    }
    case 'entity': {
      cls = ENTITY_MANAGEMENT;
      activityId = ENTITY_ACTIVITY[w.verb] ?? 3;
      const t = ENTITY_TYPE[w.family]!;
      const name = text(w.detail.subject) ?? text(w.detail.name) ?? text(w.detail.email) ?? `${w.family} ${w.subjectId ?? ''}`.trim();
      const entity = defined([['uid', w.subjectId], ['name', name], ['type', t.type], ['type_id', t.type_id]]);
      if (target) entity.user = target;
      specific.entity = entity;
      break;
    }
  }

  const out = baseEvent({
    cls,
    activityId,
    otherName,
    time: w.time,
    originalTime: w.originalTime,
    uid: i.uid,
    account: i.account,
    stream: 'webhook',
    eventCode: `${w.family}.${w.name}`,
    message: webhookMessage(w),
    enrichment: i.enrichment,
    correlationUid: w.subject,
  });
  const actor = userObject(w.actorId, undefined);
  out.actor = actor ? { user: actor } : { app_name: 'Zendesk' };
  Object.assign(out, specific);
  if (out.user) out.observables = [observable('user', 'user')];
  return finishEvent(out, { enrichment: i.enrichment, unmapped: rest(w.raw, ENVELOPE_KEYS), raw: w.raw, rawData: i.rawData });
}

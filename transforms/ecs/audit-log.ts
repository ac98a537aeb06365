// Account audit log record -> one ECS 9.4.0 document. Category/type pairs follow the ECS
// table (IAM events carry two types: the activity and user/group/admin).

import type { Enrichment } from '../enrich/index.js';
import { defined, ipOf, rest, withoutNulls, type Raw } from '../zendesk/fields.js';
import { AUDIT_LOG_MAPPED_KEYS, isUserSource, targetName, type AuditClass, type AuditLog, type Family } from '../zendesk/audit-log.js';
import { ecsBase, ecsUser, geoOf, Related, zendeskEnrichment, type Outcome } from './common.js';

export interface EcsAuditInput {
  id: string;
  account: string;
  audit: AuditLog;
  cls: AuditClass;
  enrichment: Enrichment;
  enriched: boolean;
  rawData?: boolean;
}

type Verb = 'creation' | 'change' | 'deletion' | 'info';
const VERB: Record<string, Verb> = { create: 'creation', update: 'change', enable: 'change', disable: 'change', delete: 'deletion', other: 'info' };

/** event.category / event.type of one classified record. */
export function ecsCategorization(cls: AuditClass): { category: string[]; type: string[] } {
  switch (cls.kind) {
    case 'sign_in':
      return { category: ['authentication'], type: ['start'] };
    case 'account':
      return { category: ['iam'], type: ['user', cls.activity === 'create' ? 'creation' : cls.activity === 'delete' ? 'deletion' : 'change'] };
    case 'privileges':
      return { category: ['iam'], type: ['user', 'change'] };
    case 'group':
      return { category: ['iam'], type: ['group', cls.activity === 'create' ? 'creation' : cls.activity === 'delete' ? 'deletion' : 'change'] };
    case 'entity':
      return entityCategorization(cls.family, VERB[cls.activity] ?? 'info');
    case 'export':
      return { category: ['api'], type: ['access'] };
    case 'api':
      return { category: ['api'], type: [VERB[cls.activity] ?? 'info'] };
  }
}

function entityCategorization(family: Family, verb: Verb): { category: string[]; type: string[] } {
  switch (family) {
    case 'user':
    case 'user_setting':
      return { category: ['iam'], type: ['user', verb] };
    case 'group':
    case 'group_membership':
    case 'organization':
      return { category: ['iam'], type: ['group', verb] };
    case 'credential':
      return { category: ['iam'], type: ['admin', verb] };
    case 'ticket':
      return { category: ['api'], type: [verb] };
    default:
      return { category: ['configuration'], type: [verb] };
  }
}

export function mapAuditLogEcs(i: EcsAuditInput): Raw {
  const { audit: a, cls } = i;
  const outcome: Outcome = cls.kind === 'sign_in' ? cls.outcome : 'success';
  const { category, type } = ecsCategorization(cls);
  const out = ecsBase({
    id: i.id,
    account: i.account,
    stream: 'audit_log',
    time: a.time,
    category,
    type,
    action: `${a.sourceType}.${a.action}`,
    outcome,
    message: a.changeDescription || a.actionLabel || `${a.sourceType}.${a.action}`,
    reference: a.url,
    enrichment: i.enrichment,
    enriched: i.enriched,
  });
  const related = new Related();

  const user: Raw = ecsUser(a.actorId, a.actorName) ?? {};
  related.user(a.actorId, a.actorName);
  const targetIsUser = isUserSource(a);
  if (targetIsUser) {
    const target = ecsUser(a.sourceId, targetName(a));
    if (target) user.target = target;
    related.user(a.sourceId, targetName(a));
  }
  if (cls.kind === 'privileges') {
    // ECS convention: user.target holds the state before, user.changes the new values.
    const target: Raw = (user.target as Raw | undefined) ?? {};
    target.roles = cls.before;
    user.target = target;
    user.changes = { roles: cls.after };
  }
  if (Object.keys(user).length > 0) out.user = user;
  if (cls.kind === 'group') out.group = defined([['id', a.sourceId], ['name', a.sourceLabel ?? a.sourceType]]);

  let sourceIp = a.ip;
  let geo: Raw | undefined;
  if (cls.kind === 'sign_in' && cls.location) {
    const locIp = ipOf(cls.location);
    if (locIp) sourceIp ??= locIp;
    else if (/^https?:\/\//i.test(cls.location)) out.url = { original: cls.location };
    else geo = geoOf(cls.location);
  }
  if (sourceIp || geo) out.source = defined([['ip', sourceIp], ['geo', geo]]);
  related.ip(sourceIp);
  const rel = related.toEcs();
  if (rel) out.related = rel;

  const zendesk: Raw = { account: i.account };
  const auditLog = (withoutNulls(rest(a.raw, AUDIT_LOG_MAPPED_KEYS)) as Raw | undefined) ?? {};
  auditLog.source_type = a.sourceType;
  auditLog.action = a.action;
  if (a.sourceId !== undefined) auditLog.source_id = a.sourceId;
  if (a.sourceLabel !== undefined) auditLog.source_label = a.sourceLabel;
  if (a.changeDescription) auditLog.change_description = a.changeDescription;
  if (cls.kind === 'entity' || cls.kind === 'export') auditLog.entity_type = cls.entity;
  if (cls.kind === 'sign_in' && cls.method) auditLog.sign_in_method = cls.method;
  zendesk.audit_log = auditLog;
  Object.assign(zendesk, zendeskEnrichment(i.enrichment));
  out.zendesk = zendesk;
  if (i.rawData) (out.event as Raw).original = JSON.stringify(a.raw);
  return out;
}

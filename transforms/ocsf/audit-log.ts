// Account audit log record -> one OCSF 1.8.0 event. The class follows the record kind:
//   login -> Authentication 3002 Logon; user create/destroy, suspension, password, 2FA ->
//   Account Change 3001; role change -> User Access Management 3005; groups -> Group
//   Management 3006; other known items -> Entity Management 3004; exported -> Web Resources
//   Activity 6001 Export; unknown source_type -> API Activity 6003 "<source_type>.<action>".

import type { Enrichment } from '../enrich/index.js';
import { defined, ipOf, locationParts, rest, type Raw } from '../zendesk/fields.js';
import { AUDIT_LOG_MAPPED_KEYS, isUserSource, targetName, type AuditClass, type AuditLog } from '../zendesk/audit-log.js';
import {
  ACCOUNT_CHANGE, API_ACTIVITY, AUTHENTICATION, ENTITY_MANAGEMENT, GROUP_MANAGEMENT, USER_ACCESS, WEB_RESOURCES_ACTIVITY,
  baseEvent, finishEvent, observable, srcEndpoint, userObject, type OcsfClass,
} from './common.js';

export interface OcsfAuditInput {
  uid: string;
  account: string;
  audit: AuditLog;
  cls: AuditClass;
  enrichment: Enrichment;
  rawData?: boolean;
}

const ACCOUNT_ACTIVITY = { create: 1, enable: 2, password_change: 3, password_reset: 4, disable: 5, delete: 6, mfa_enable: 10, mfa_disable: 11 } as const;
const ENTITY_ACTIVITY = { create: 1, update: 3, delete: 4, enable: 8, disable: 9, other: 99 } as const;
const GROUP_ACTIVITY = { add_user: 3, remove_user: 4, delete: 5, create: 6, other: 99 } as const;
const API_ACTIVITY_ID = { create: 1, update: 3, delete: 4, other: 99 } as const;

/** managed_entity.type_id for the entity types OCSF names; the rest are 99 with our own name. */
const ENTITY_TYPE_ID: Record<string, number> = { User: 2, Group: 3, Organization: 4 };

/** Sign-in method -> OCSF auth_protocol_id (99 keeps Zendesk's own name). */
function authProtocol(method: string | undefined): { auth_protocol_id: number; auth_protocol: string } | undefined {
  if (!method) return undefined;
  if (/saml/i.test(method)) return { auth_protocol_id: 5, auth_protocol: 'SAML' };
  if (/google|microsoft|apple|openid|oidc|office 365/i.test(method)) return { auth_protocol_id: 4, auth_protocol: 'OpenID' };
  if (/oauth/i.test(method)) return { auth_protocol_id: 6, auth_protocol: 'OAUTH 2.0' };
  return { auth_protocol_id: 99, auth_protocol: method };
}

export function mapAuditLogOcsf(i: OcsfAuditInput): Raw {
  const { audit: a, cls } = i;
  const actor = userObject(a.actorId, a.actorName);
  const target = isUserSource(a) ? userObject(a.sourceId, targetName(a)) : undefined;
  const eventCode = `${a.sourceType}.${a.action}`;
  const message = a.changeDescription || a.actionLabel || eventCode;

  let ocsfClass: OcsfClass;
  let activityId: number;
  let otherName: string | undefined;
  let statusId = 1;
  let profiles: string[] | undefined;
  const specific: Raw = {};

  // The sign-in location ("from San Francisco, CA, United States") or address ("from 203.0.113.7").
  let src = srcEndpoint(a.ip);

  switch (cls.kind) {
    case 'sign_in': {
      ocsfClass = AUTHENTICATION;
      activityId = 1;
      statusId = cls.outcome === 'success' ? 1 : cls.outcome === 'failure' ? 2 : 0;
      specific.user = target ?? actor ?? { name: 'unknown' };
      specific.service = { name: 'Zendesk Support' };
      Object.assign(specific, authProtocol(cls.method));
      // "from <where>": an address, the URL of the sign-in page, or a place.
      if (cls.location) {
        const locIp = ipOf(cls.location);
        if (locIp) src = srcEndpoint(a.ip ?? locIp);
        else if (/^https?:\/\//i.test(cls.location)) specific.http_request = { url: { url_string: cls.location } };
        else src = srcEndpoint(a.ip, { desc: cls.location, ...locationParts(cls.location) });
      }
      break;
    }
    case 'account':
      ocsfClass = ACCOUNT_CHANGE;
      activityId = ACCOUNT_ACTIVITY[cls.activity];
      specific.user = target ?? userObject(a.sourceId, a.sourceLabel) ?? { name: 'unknown' };
      break;
    case 'privileges':
      ocsfClass = USER_ACCESS;
      activityId = cls.activity === 'assign' ? 1 : 2;
      specific.user = target ?? userObject(a.sourceId, a.sourceLabel) ?? { name: 'unknown' };
      specific.privileges = cls.privileges;
      break;
    case 'group':
      ocsfClass = GROUP_MANAGEMENT;
      activityId = GROUP_ACTIVITY[cls.activity];
      if (activityId === 99) otherName = a.action;
      specific.group = defined([['uid', a.sourceId], ['name', a.sourceLabel ?? a.sourceType]]);
      break;
    case 'entity': {
      ocsfClass = ENTITY_MANAGEMENT;
      activityId = ENTITY_ACTIVITY[cls.activity];
      if (activityId === 99) otherName = a.action;
      const typeId = ENTITY_TYPE_ID[cls.entity] ?? 99;
      const entity = defined([['uid', a.sourceId], ['name', targetName(a) ?? cls.entity], ['type', cls.entity], ['type_id', typeId]]);
      if (typeId === 2 && target) entity.user = target;
      specific.entity = entity;
      break;
    }
    case 'export':
      ocsfClass = WEB_RESOURCES_ACTIVITY;
      activityId = 7;
      profiles = ['host']; // `actor` in 6001 comes from the host profile
      specific.web_resources = [defined([['uid', a.sourceId], ['name', a.sourceLabel ?? cls.entity], ['type', cls.entity]])];
      break;
    case 'api':
      ocsfClass = API_ACTIVITY;
      activityId = API_ACTIVITY_ID[cls.activity];
      if (activityId === 99) otherName = a.action;
      specific.api = { operation: eventCode, service: { name: 'Zendesk Support' } };
      specific.resources = [defined([['uid', a.sourceId], ['name', a.sourceLabel ?? a.sourceType], ['type', a.sourceType]])];
      // API Activity requires actor and src_endpoint even when Zendesk did not record them.
      src ??= { name: 'unknown' };
      break;
  }

  const out = baseEvent({
    cls: ocsfClass,
    activityId,
    otherName,
    time: a.time,
    originalTime: a.createdAt,
    uid: i.uid,
    account: i.account,
    stream: 'audit_log',
    eventCode,
    statusId,
    statusDetail: cls.kind === 'sign_in' ? a.changeDescription || undefined : undefined,
    message,
    enrichment: i.enrichment,
    profiles,
  });
  out.actor = actor ? { user: actor } : { app_name: 'Zendesk' };
  Object.assign(out, specific);
  if (src) out.src_endpoint = src;

  const obs: Raw[] = [];
  if (a.ip) obs.push(observable('src_endpoint.ip', 'ip', a.ip));
  if (a.actorName) obs.push(observable('actor.user.name', 'userName', a.actorName));
  if (out.user) obs.push(observable('user', 'user'));
  if (obs.length > 0) out.observables = obs;
  return finishEvent(out, { enrichment: i.enrichment, unmapped: rest(a.raw, AUDIT_LOG_MAPPED_KEYS), raw: a.raw, rawData: i.rawData });
}

// OCSF 1.8.0 building blocks shared by the three mappers: the class/activity tables we emit
// (captions copied from the schema so that every *_id carries its matching sibling name), the
// base attributes every event has, and the enrichment/observable conventions.

import type { Enrichment } from '../enrich/index.js';
import { riskLabels } from '../enrich/index.js';
import type { ParsedChange } from '../enrich/patterns.js';
import { withoutNulls, type Raw } from '../zendesk/fields.js';

export const OCSF_VERSION = '1.8.0';
export const PRODUCT = { vendor_name: 'Zendesk', name: 'Zendesk Support' } as const;
export const ENRICHMENT_PROVIDER = 'zendesk-siem-forwarder';

export interface OcsfClass {
  uid: number;
  caption: string;
  categoryUid: number;
  categoryName: string;
  activities: Readonly<Record<number, string>>;
}

const IAM = { categoryUid: 3, categoryName: 'Identity & Access Management' };
const APP = { categoryUid: 6, categoryName: 'Application Activity' };

export const ACCOUNT_CHANGE: OcsfClass = {
  uid: 3001, caption: 'Account Change', ...IAM,
  activities: { 0: 'Unknown', 1: 'Create', 2: 'Enable', 3: 'Password Change', 4: 'Password Reset', 5: 'Disable', 6: 'Delete', 10: 'MFA Factor Enable', 11: 'MFA Factor Disable', 99: 'Other' },
};
export const AUTHENTICATION: OcsfClass = {
  uid: 3002, caption: 'Authentication', ...IAM,
  activities: { 0: 'Unknown', 1: 'Logon', 2: 'Logoff', 99: 'Other' },
};
export const ENTITY_MANAGEMENT: OcsfClass = {
  uid: 3004, caption: 'Entity Management', ...IAM,
  activities: { 0: 'Unknown', 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 8: 'Enable', 9: 'Disable', 10: 'Activate', 11: 'Deactivate', 99: 'Other' },
};
export const USER_ACCESS: OcsfClass = {
  uid: 3005, caption: 'User Access Management', ...IAM,
  activities: { 0: 'Unknown', 1: 'Assign Privileges', 2: 'Revoke Privileges', 99: 'Other' },
};
export const GROUP_MANAGEMENT: OcsfClass = {
  uid: 3006, caption: 'Group Management', ...IAM,
  activities: { 0: 'Unknown', 1: 'Assign Privileges', 2: 'Revoke Privileges', 3: 'Add User', 4: 'Remove User', 5: 'Delete', 6: 'Create', 99: 'Other' },
};
export const WEB_RESOURCES_ACTIVITY: OcsfClass = {
  uid: 6001, caption: 'Web Resources Activity', ...APP,
  activities: { 0: 'Unknown', 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 5: 'Search', 6: 'Import', 7: 'Export', 8: 'Share', 99: 'Other' },
};
export const API_ACTIVITY: OcsfClass = {
  uid: 6003, caption: 'API Activity', ...APP,
  activities: { 0: 'Unknown', 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' },
};

const SEVERITY: Record<number, string> = { 0: 'Unknown', 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical', 6: 'Fatal' };
const STATUS: Record<number, string> = { 0: 'Unknown', 1: 'Success', 2: 'Failure' };

export interface BaseInput {
  cls: OcsfClass;
  activityId: number;
  /** Required when activityId is 99: the source's own activity name. */
  otherName?: string;
  time: number;
  originalTime: string;
  uid: string;
  account: string;
  stream: string;
  eventCode?: string;
  statusId?: number;
  statusDetail?: string;
  message?: string;
  enrichment: Enrichment;
  /** Profiles whose attributes the event uses (e.g. "host" for `actor` in 6001). */
  profiles?: string[];
  correlationUid?: string;
}

/** Minutes ahead of UTC of an ISO 8601 time text (Zendesk writes UTC, "Z"); 0 when it has none. */
export function offsetMinutes(text: string): number {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!m || !/T\d{2}:\d{2}/.test(text)) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** The attributes every event carries, in a stable order. */
export function baseEvent(b: BaseInput): Raw {
  const activityName = b.activityId === 99 ? (b.otherName ?? 'Other') : b.cls.activities[b.activityId];
  if (activityName === undefined) throw new Error(`internal: activity ${b.activityId} not defined for ${b.cls.caption}`);
  const typeCaption = b.activityId === 99 ? 'Other' : activityName;
  const labels = riskLabels(b.enrichment);
  const metadata: Raw = {
    version: OCSF_VERSION,
    product: { ...PRODUCT },
    uid: b.uid,
    original_time: b.originalTime,
    log_name: b.stream,
    log_provider: 'Zendesk',
    tenant_uid: b.account,
  };
  if (b.eventCode) metadata.event_code = b.eventCode;
  if (b.correlationUid) metadata.correlation_uid = b.correlationUid;
  if (b.profiles && b.profiles.length > 0) metadata.profiles = b.profiles;
  if (labels.length > 0) metadata.labels = labels;
  const statusId = b.statusId ?? 1;
  const out: Raw = {
    class_uid: b.cls.uid,
    class_name: b.cls.caption,
    category_uid: b.cls.categoryUid,
    category_name: b.cls.categoryName,
    activity_id: b.activityId,
    activity_name: activityName,
    type_uid: b.cls.uid * 100 + b.activityId,
    type_name: `${b.cls.caption}: ${typeCaption}`,
    time: b.time,
    timezone_offset: offsetMinutes(b.originalTime),
    severity_id: b.enrichment.severityId,
    severity: SEVERITY[b.enrichment.severityId] ?? 'Unknown',
    status_id: statusId,
    status: STATUS[statusId] ?? 'Unknown',
    metadata,
  };
  if (b.statusDetail) out.status_detail = b.statusDetail;
  if (b.message) out.message = b.message;
  return out;
}

/**
 * Enrichment convention: parsed before/after values and every matched risk rule are
 * `enrichments[]` entries (name "zendesk.change" / "zendesk.risk"); the rule ids are also in
 * `metadata.labels` as "risk:<id>" and the highest rule severity is `severity_id`.
 */
export function enrichments(e: Enrichment): Raw[] | undefined {
  const out: Raw[] = [];
  for (const c of e.changes) out.push({ name: 'zendesk.change', value: c.pattern, type: 'parsed_change', provider: ENRICHMENT_PROVIDER, data: changeData(c) });
  for (const r of e.rules) {
    const data: Raw = { rule: r.id, severity_id: r.severityId, risk_score: r.riskScore };
    if (r.mitre) data.mitre_technique = r.mitre;
    out.push({ name: 'zendesk.risk', value: r.id, type: 'risk_rule', short_desc: r.title, provider: ENRICHMENT_PROVIDER, data });
  }
  return out.length > 0 ? out : undefined;
}

/**
 * The tail every record mapper shares: enrichments, what the mapping left over (`unmapped`,
 * nulls dropped) and, on request, the record as Zendesk sent it (`raw_data`).
 */
export function finishEvent(out: Raw, o: { enrichment: Enrichment; unmapped: Raw | undefined; raw: Raw; rawData?: boolean | undefined }): Raw {
  const enr = enrichments(o.enrichment);
  if (enr) out.enrichments = enr;
  if (o.unmapped && Object.keys(o.unmapped).length > 0) out.unmapped = withoutNulls(o.unmapped);
  if (o.rawData) out.raw_data = JSON.stringify(o.raw);
  return out;
}

export function changeData(c: ParsedChange): Raw {
  const d: Raw = { field: c.field };
  if (c.before !== undefined) d.before = c.before;
  if (c.after !== undefined) d.after = c.after;
  if (c.details) Object.assign(d, c.details);
  return d;
}

/** OCSF observable type ids used here (from the dictionary types/objects). */
export const OBSERVABLE = { ip: { type_id: 2, type: 'IP Address' }, userName: { type_id: 4, type: 'User Name' }, user: { type_id: 21, type: 'User' }, userAgent: { type_id: 16, type: 'HTTP User-Agent' } } as const;

export function observable(name: string, kind: keyof typeof OBSERVABLE, value?: string): Raw {
  const o: Raw = { name, ...OBSERVABLE[kind] };
  if (value !== undefined) o.value = value;
  return o;
}

/** A Zendesk user as an OCSF user object; -1 is Zendesk's own system actor. */
export function userObject(id: string | undefined, name: string | undefined): Raw | undefined {
  if (id === undefined && name === undefined) return undefined;
  const u: Raw = {};
  if (id !== undefined) u.uid = id;
  if (name !== undefined) u.name = name;
  if (id === '-1') {
    u.type_id = 3;
    u.type = 'System';
  }
  return u;
}

/**
 * An OCSF network_endpoint for a client address, with its location when known. Without an
 * address there is no endpoint to describe (a bare location would not identify one); the
 * location text then stays in `message` and the parsed-change enrichment.
 */
export function srcEndpoint(ip: string | undefined, location?: { desc: string; city?: string; region?: string; country?: string; lat?: number; long?: number }): Raw | undefined {
  if (!ip) return undefined;
  const ep: Raw = { ip };
  if (location && (location.city || location.country || location.region)) {
    const l: Raw = { desc: location.desc };
    if (location.city) l.city = location.city;
    if (location.region) l.region = location.region;
    if (location.country) l.country = location.country;
    if (location.lat !== undefined) l.lat = location.lat;
    if (location.long !== undefined) l.long = location.long;
    ep.location = l;
  }
  return ep;
}

// Ticket audit -> OCSF Web Resources Activity 6001 on the ticket.
//
// Default: one event per audit. An audit is one update by one actor at one moment, it has the
// upstream id the deterministic event id (and SIEM dedupe) is built on, and it keeps volume at
// one event per ticket update. The child events are summarised in `web_resources[0].data`
// (types and field changes, no bodies) and kept whole in `unmapped.events`.
// `perChild` emits one event per child instead (id `<audit event id>:<child id>`, the audit id
// in `metadata.correlation_uid`), for SIEMs that alert on single changes.

import type { Enrichment } from '../enrich/index.js';
import { locationParts, withoutNulls, type Raw } from '../zendesk/fields.js';
import {
  auditActivity, auditMessage, childActivity, childSummary, type TicketActivity, type TicketAudit, type TicketChild, ticketRest,
} from '../zendesk/ticket-audit.js';
import { WEB_RESOURCES_ACTIVITY, baseEvent, enrichments, observable, srcEndpoint, userObject } from './common.js';

export interface OcsfTicketInput {
  uid: string;
  account: string;
  ticket: TicketAudit;
  enrichment: Enrichment;
  rawData?: boolean;
}

export interface OcsfMapped {
  id: string;
  body: Raw;
}

const ACTIVITY_ID: Record<TicketActivity, number> = { create: 1, update: 3, share: 8, other: 99 };

function common(i: OcsfTicketInput, activity: TicketActivity, decidingType: string, children: TicketChild[], actorId: string | undefined, uid: string, correlationUid?: string): Raw {
  const t = i.ticket;
  const activityId = ACTIVITY_ID[activity];
  const out = baseEvent({
    cls: WEB_RESOURCES_ACTIVITY,
    activityId,
    otherName: activityId === 99 ? decidingType : undefined,
    time: t.time,
    originalTime: t.originalTime,
    uid,
    account: i.account,
    stream: 'ticket_audit',
    // The Zendesk event type that decided the activity (Update/Create keep their OCSF names).
    eventCode: decidingType,
    message: auditMessage(t, activity, children),
    enrichment: i.enrichment,
    profiles: ['host'], // `actor` in 6001 comes from the host profile
    correlationUid,
  });
  const user = userObject(actorId, undefined);
  out.actor = user ? { user } : { app_name: t.viaChannel ? `Zendesk (${t.viaChannel})` : 'Zendesk' };
  const loc = t.location ? { desc: t.location, ...locationParts(t.location), lat: t.latitude, long: t.longitude } : undefined;
  const src = srcEndpoint(t.ip, loc);
  if (src) out.src_endpoint = src;
  if (t.userAgent) out.http_request = { user_agent: t.userAgent };
  const obs: Raw[] = [];
  if (t.ip) obs.push(observable('src_endpoint.ip', 'ip', t.ip));
  if (user) obs.push(observable('actor.user', 'user'));
  if (t.userAgent) obs.push(observable('http_request.user_agent', 'userAgent', t.userAgent));
  if (obs.length > 0) out.observables = obs;
  const enr = enrichments(i.enrichment);
  if (enr) out.enrichments = enr;
  return out;
}

function unmappedOf(t: TicketAudit, children: TicketChild[]): Raw {
  const u: Raw = ticketRest(t);
  u.audit_id = t.id;
  if (children.length > 0) u.events = children.map((c) => withoutNulls(c.raw));
  return withoutNulls(u) as Raw;
}

export function mapTicketAuditOcsf(i: OcsfTicketInput, opts: { perChild?: boolean } = {}): OcsfMapped[] {
  const t = i.ticket;
  if (!opts.perChild || t.children.length === 0) {
    const { activity, type } = auditActivity(t);
    const out = common(i, activity, type, t.children, t.actorId, i.uid);
    out.web_resources = [{ type: 'Ticket', uid: t.ticketId, name: `Ticket ${t.ticketId}`, data: { audit_id: t.id, events: t.children.map(childSummary) } }];
    out.unmapped = unmappedOf(t, t.children);
    if (i.rawData) out.raw_data = JSON.stringify(t.raw);
    return [{ id: i.uid, body: out }];
  }
  return t.children.map((c, n) => {
    const id = `${i.uid}:${c.id ?? `#${n}`}`;
    const actorId = typeof c.raw.author_id === 'number' || typeof c.raw.author_id === 'string' ? String(c.raw.author_id) : t.actorId;
    const out = common(i, childActivity(c.type), c.type, [c], actorId, id, i.uid);
    out.web_resources = [{ type: 'Ticket', uid: t.ticketId, name: `Ticket ${t.ticketId}`, data: { audit_id: t.id, event: childSummary(c) } }];
    out.unmapped = unmappedOf(t, [c]);
    if (i.rawData) out.raw_data = JSON.stringify(c.raw);
    return { id, body: out };
  });
}

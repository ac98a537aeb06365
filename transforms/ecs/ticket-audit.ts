// Ticket audit -> ECS documents, one per audit by default or one per child event (the same
// choice as the OCSF mapper; see transforms/ocsf/ticket-audit.ts for why per-audit is default).

import type { Enrichment } from '../enrich/index.js';
import { defined, withoutNulls, type Raw } from '../zendesk/fields.js';
import {
  auditActivity, auditMessage, childActivity, ticketRest, type TicketActivity, type TicketAudit, type TicketChild,
} from '../zendesk/ticket-audit.js';
import { ecsBase, ecsUser, geoOf, Related, zendeskEnrichment } from './common.js';

export interface EcsTicketInput {
  id: string;
  account: string;
  ticket: TicketAudit;
  enrichment: Enrichment;
  enriched: boolean;
  rawData?: boolean;
}

const TYPE: Record<TicketActivity, string> = { create: 'creation', update: 'change', share: 'change', other: 'info' };

function doc(i: EcsTicketInput, id: string, activity: TicketActivity, decidingType: string, children: TicketChild[], actorId: string | undefined, auditEventId?: string): Raw {
  const t = i.ticket;
  const out = ecsBase({
    id,
    account: i.account,
    stream: 'ticket_audit',
    time: t.time,
    category: ['api'],
    type: [TYPE[activity]],
    action: activity === 'other' ? `ticket.${decidingType}` : `ticket.${activity}`,
    outcome: 'success',
    message: auditMessage(t, activity, children),
    enrichment: i.enrichment,
    enriched: i.enriched,
  });
  const related = new Related().user(actorId).ip(t.ip);
  const user = ecsUser(actorId, undefined);
  if (user) out.user = user;
  const geo = geoOf(t.location, t.latitude, t.longitude);
  if (t.ip || geo) out.source = defined([['ip', t.ip], ['geo', geo]]);
  if (t.userAgent) out.user_agent = { original: t.userAgent };
  const rel = related.toEcs();
  if (rel) out.related = rel;

  const ticketAudit = withoutNulls(ticketRest(t)) as Raw;
  ticketAudit.audit_id = t.id;
  ticketAudit.ticket_id = t.ticketId;
  ticketAudit.event_types = [...new Set(children.map((c) => c.type))];
  if (auditEventId) ticketAudit.audit_event_id = auditEventId;
  ticketAudit.events = children.map(ecsChild);
  out.zendesk = { account: i.account, ticket_audit: ticketAudit, ...zendeskEnrichment(i.enrichment) };
  return out;
}

/**
 * A child event for Elasticsearch: `value`/`previous_value` are text, numbers, arrays or SLA
 * objects depending on the field, and one index cannot map both text and objects at the same
 * path, so objects are kept as JSON text.
 */
function ecsChild(c: TicketChild): Raw {
  const out = { ...(withoutNulls(c.raw) as Raw) };
  for (const k of ['value', 'previous_value']) {
    const v = out[k];
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) out[k] = JSON.stringify(v);
  }
  return out;
}

export function mapTicketAuditEcs(i: EcsTicketInput, opts: { perChild?: boolean } = {}): { id: string; body: Raw }[] {
  const t = i.ticket;
  if (!opts.perChild || t.children.length === 0) {
    const { activity, type } = auditActivity(t);
    const out = doc(i, i.id, activity, type, t.children, t.actorId);
    if (i.rawData) (out.event as Raw).original = JSON.stringify(t.raw);
    return [{ id: i.id, body: out }];
  }
  return t.children.map((c, n) => {
    const id = `${i.id}:${c.id ?? `#${n}`}`;
    const actorId = typeof c.raw.author_id === 'number' || typeof c.raw.author_id === 'string' ? String(c.raw.author_id) : t.actorId;
    const out = doc(i, id, childActivity(c.type), c.type, [c], actorId, i.id);
    if (i.rawData) (out.event as Raw).original = JSON.stringify(c.raw);
    return { id, body: out };
  });
}

// Deleted ticket -> OCSF Entity Management 3004 / 4 Delete, `entity` {type "Ticket"}.
// The same class and entity as the audit log's own "ticket destroy" record (see
// transforms/ocsf/audit-log.ts and docs/schemas.md), so one SIEM rule sees a ticket deletion
// whichever stream reported it (the audit log needs the Enterprise plan; this list does not).

import type { Enrichment } from '../enrich/index.js';
import { defined, type Raw } from '../zendesk/fields.js';
import { deletedTicketRest, deletionMessage, type DeletedTicket } from '../zendesk/deleted-ticket.js';
import { ENTITY_MANAGEMENT, baseEvent, finishEvent, observable, userObject } from './common.js';

export interface OcsfDeletedTicketInput {
  uid: string;
  account: string;
  deleted: DeletedTicket;
  enrichment: Enrichment;
  rawData?: boolean;
}

export function mapDeletedTicketOcsf(i: OcsfDeletedTicketInput): Raw {
  const d = i.deleted;
  const out = baseEvent({
    cls: ENTITY_MANAGEMENT,
    activityId: 4,
    time: d.time,
    originalTime: d.deletedAt,
    uid: i.uid,
    account: i.account,
    stream: 'deleted_ticket',
    eventCode: 'ticket.destroy',
    message: deletionMessage(d),
    enrichment: i.enrichment,
  });
  const user = userObject(d.actorId, d.actorName);
  out.actor = user ? { user } : { app_name: 'Zendesk' };
  out.entity = defined([['uid', d.ticketId], ['name', d.subject ?? `Ticket ${d.ticketId}`], ['type', 'Ticket'], ['type_id', 99], ['data', d.previousState ? { previous_state: d.previousState } : undefined]]);
  const obs: Raw[] = [];
  if (d.actorName) obs.push(observable('actor.user.name', 'userName', d.actorName));
  if (obs.length > 0) out.observables = obs;
  return finishEvent(out, { enrichment: i.enrichment, unmapped: deletedTicketRest(d), raw: d.raw, rawData: i.rawData });
}

// Deleted ticket -> ECS: `api` / `deletion`, action `ticket.destroy` (as the audit log's own
// ticket deletion), the actor as `user.*`, the ticket under `zendesk.deleted_ticket`.

import type { Enrichment } from '../enrich/index.js';
import { defined, withoutNulls, type Raw } from '../zendesk/fields.js';
import { deletedTicketRest, deletionMessage, type DeletedTicket } from '../zendesk/deleted-ticket.js';
import { ecsBase, ecsUser, Related, zendeskEnrichment } from './common.js';

export interface EcsDeletedTicketInput {
  id: string;
  account: string;
  deleted: DeletedTicket;
  enrichment: Enrichment;
  enriched: boolean;
  rawData?: boolean;
}

export function mapDeletedTicketEcs(i: EcsDeletedTicketInput): Raw {
  const d = i.deleted;
  const out = ecsBase({
    id: i.id,
    account: i.account,
    stream: 'deleted_ticket',
    time: d.time,
    category: ['api'],
    type: ['deletion'],
    action: 'ticket.destroy',
    outcome: 'success',
    message: deletionMessage(d),
    enrichment: i.enrichment,
    enriched: i.enriched,
  });
  const user = ecsUser(d.actorId, d.actorName);
  if (user) out.user = user;
  const rel = new Related().user(d.actorId, d.actorName).toEcs();
  if (rel) out.related = rel;
  const extra = deletedTicketRest(d);
  const deleted = defined([['ticket_id', d.ticketId], ['subject', d.subject], ['previous_state', d.previousState], ['deleted_at', d.deletedAt]]);
  if (extra) Object.assign(deleted, withoutNulls(extra) as Raw);
  out.zendesk = { account: i.account, deleted_ticket: deleted, ...zendeskEnrichment(i.enrichment) };
  if (i.rawData) (out.event as Raw).original = JSON.stringify(d.raw);
  return out;
}

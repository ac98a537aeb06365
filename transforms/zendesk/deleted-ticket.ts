// Deleted tickets (GET /api/v2/deleted_tickets): id, subject, description, actor {id, name},
// previous_state, deleted_at. Read into one strict form for the mappers and the enricher.

import { fail, idOf, isObject, rest, text, timeOf, type Raw } from './fields.js';

export interface DeletedTicket {
  ticketId: string;
  time: number;
  /** `deleted_at` as Zendesk wrote it. */
  deletedAt: string;
  subject?: string;
  actorId?: string;
  actorName?: string;
  previousState?: string;
  raw: Raw;
}

/**
 * Keys placed in first-class fields. `description` (the ticket's first comment, customer text)
 * is deliberately left out of the mapped event, like comment bodies of ticket audits:
 * `rawData: true` ships it with the rest of the upstream JSON.
 */
export const DELETED_TICKET_MAPPED_KEYS: ReadonlySet<string> = new Set(['id', 'subject', 'description', 'actor', 'previous_state', 'deleted_at']);

export function readDeletedTicket(raw: unknown): DeletedTicket {
  if (!isObject(raw)) fail('deleted_ticket', 'record is not a JSON object');
  const ticketId = idOf(raw.id);
  if (ticketId === undefined) fail('deleted_ticket', `missing or invalid "id" (${JSON.stringify(raw.id)})`);
  const time = timeOf(raw.deleted_at);
  if (time === undefined || typeof raw.deleted_at !== 'string') fail('deleted_ticket', `missing or invalid "deleted_at" in deleted ticket ${ticketId}`);
  const actor = isObject(raw.actor) ? raw.actor : undefined;
  return {
    ticketId,
    time,
    deletedAt: raw.deleted_at,
    subject: text(raw.subject),
    actorId: actor ? idOf(actor.id) : undefined,
    actorName: actor ? text(actor.name) : undefined,
    previousState: text(raw.previous_state),
    raw,
  };
}

/** Fields the mappers do not place (future additions), for OCSF `unmapped` / ECS `zendesk.deleted_ticket`. */
export function deletedTicketRest(d: DeletedTicket): Raw | undefined {
  return rest(d.raw, DELETED_TICKET_MAPPED_KEYS);
}

export function deletionMessage(d: DeletedTicket): string {
  const what = d.subject ? `Ticket ${d.ticketId} "${d.subject}"` : `Ticket ${d.ticketId}`;
  const who = d.actorName ?? (d.actorId !== undefined ? `user ${d.actorId}` : 'unknown actor');
  return `${what} deleted by ${who}${d.previousState ? ` (was ${d.previousState})` : ''}`;
}

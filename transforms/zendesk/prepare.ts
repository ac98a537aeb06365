// One entry point for the schema mappers: read the record of the event's stream and classify
// it. Unknown streams and unreadable records throw (the pipeline dead-letters them).

import type { PipelineEvent } from '../../src/core/types.js';
import type { ParsedChange } from '../enrich/patterns.js';
import { accessActivity, readAccessLog, type AccessActivity, type AccessLog } from './access-log.js';
import { classifyAuditLog, parseAuditChange, readAuditLog, type AuditClass, type AuditLog } from './audit-log.js';
import { readDeletedTicket, type DeletedTicket } from './deleted-ticket.js';
import { MappingError } from './fields.js';
import { readTicketAudit, type TicketAudit } from './ticket-audit.js';
import { readWebhookEvent, webhookChanges, type WebhookEvent } from './webhook.js';

export type Prepared =
  | { stream: 'audit_log'; audit: AuditLog; changes: ParsedChange[]; cls: AuditClass }
  | { stream: 'ticket_audit'; ticket: TicketAudit }
  | { stream: 'access_log'; access: AccessLog; activity: AccessActivity }
  | { stream: 'deleted_ticket'; deleted: DeletedTicket }
  | { stream: 'webhook'; webhook: WebhookEvent; changes: ParsedChange[] };

export const STREAMS = ['audit_log', 'ticket_audit', 'access_log', 'deleted_ticket', 'webhook'] as const;

export function prepare(event: PipelineEvent): Prepared {
  switch (event.meta.stream) {
    case 'audit_log': {
      const audit = readAuditLog(event.body);
      const changes = parseAuditChange(audit);
      return { stream: 'audit_log', audit, changes, cls: classifyAuditLog(audit, changes) };
    }
    case 'ticket_audit':
      return { stream: 'ticket_audit', ticket: readTicketAudit(event.body) };
    case 'access_log': {
      const access = readAccessLog(event.body);
      return { stream: 'access_log', access, activity: accessActivity(access) };
    }
    case 'deleted_ticket':
      return { stream: 'deleted_ticket', deleted: readDeletedTicket(event.body) };
    case 'webhook': {
      const webhook = readWebhookEvent(event.body);
      return { stream: 'webhook', webhook, changes: webhookChanges(webhook) };
    }
    default:
      throw new MappingError(`no mapping for stream "${event.meta.stream}" (known: ${STREAMS.join(', ')})`);
  }
}

export { sourcetypeOf } from './sourcetype.js';

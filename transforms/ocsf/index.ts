// The `ocsf` transform: Zendesk records -> OCSF 1.8.0 events (one mapper per stream).

import { defineTransform } from '../../src/core/plugin.js';
import type { PipelineEvent } from '../../src/core/types.js';
import type { Enrichment } from '../enrich/index.js';
import type { Prepared } from '../zendesk/prepare.js';
import { schemaOptions, schemaTransform, schemaWorkerRecipe, type Mapped, type MapperOptions } from '../schema-transform.js';
import { accountOrigins } from '../zendesk/origin.js';
import { zendeskSection } from '../../src/sources/zendesk/account-config.js';
import { mapAccessLogOcsf } from './access-log.js';
import { mapAuditLogOcsf } from './audit-log.js';
import { mapDeletedTicketOcsf } from './deleted-ticket.js';
import { mapWebhookOcsf } from './webhook.js';
import { mapTicketAuditOcsf } from './ticket-audit.js';

export function mapOcsf(event: PipelineEvent, p: Prepared, e: Enrichment, opts: Pick<MapperOptions, 'rawData' | 'ticketAudits' | 'origins'>): Mapped[] {
  const { id, account } = event.meta;
  switch (p.stream) {
    case 'audit_log':
      return [{ id, body: mapAuditLogOcsf({ uid: id, account, enrichment: e, rawData: opts.rawData, audit: p.audit, cls: p.cls }) }];
    case 'ticket_audit':
      return mapTicketAuditOcsf({ uid: id, account, enrichment: e, rawData: opts.rawData, ticket: p.ticket }, { perChild: opts.ticketAudits === 'per_child' });
    case 'access_log':
      return [{ id, body: mapAccessLogOcsf({ uid: id, account, enrichment: e, rawData: opts.rawData, access: p.access, activity: p.activity, origin: opts.origins?.get(account) }) }];
    case 'deleted_ticket':
      return [{ id, body: mapDeletedTicketOcsf({ uid: id, account, enrichment: e, rawData: opts.rawData, deleted: p.deleted }) }];
    case 'webhook':
      return [{ id, body: mapWebhookOcsf({ uid: id, account, enrichment: e, rawData: opts.rawData, webhook: p.webhook }) }];
  }
}

export const ocsfTransform = defineTransform({
  type: 'ocsf',
  description: 'Map Zendesk audit logs, ticket audits, access logs and ticket deletions to OCSF 1.8.0 (with security enrichment by default)',
  options: schemaOptions,
  create(config, env) {
    return schemaTransform('ocsf', { ...config, origins: accountOrigins(env.section(zendeskSection)) }, mapOcsf);
  },
  worker(config, env) {
    return schemaWorkerRecipe('ocsf', { ...config, origins: accountOrigins(env.section(zendeskSection)) });
  },
});

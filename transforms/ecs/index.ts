// The `ecs` transform: Zendesk records -> ECS 9.4.0 documents (one mapper per stream).

import { defineTransform } from '../../src/core/plugin.js';
import type { PipelineEvent } from '../../src/core/types.js';
import type { Enrichment } from '../enrich/index.js';
import type { Prepared } from '../zendesk/prepare.js';
import { schemaOptions, schemaTransform, schemaWorkerRecipe, type Mapped, type MapperOptions } from '../schema-transform.js';
import { accountOrigins } from '../zendesk/origin.js';
import { zendeskSection } from '../../src/sources/zendesk/account-config.js';
import { mapAccessLogEcs } from './access-log.js';
import { mapAuditLogEcs } from './audit-log.js';
import { mapDeletedTicketEcs } from './deleted-ticket.js';
import { mapWebhookEcs } from './webhook.js';
import { mapTicketAuditEcs } from './ticket-audit.js';

export function mapEcs(event: PipelineEvent, p: Prepared, e: Enrichment, opts: Pick<MapperOptions, 'rawData' | 'ticketAudits' | 'enrich' | 'origins'>): Mapped[] {
  const { id, account } = event.meta;
  const enriched = opts.enrich;
  switch (p.stream) {
    case 'audit_log':
      return [{ id, body: mapAuditLogEcs({ id, account, enrichment: e, enriched, rawData: opts.rawData, audit: p.audit, cls: p.cls }) }];
    case 'ticket_audit':
      return mapTicketAuditEcs({ id, account, enrichment: e, enriched, rawData: opts.rawData, ticket: p.ticket }, { perChild: opts.ticketAudits === 'per_child' });
    case 'access_log':
      return [{ id, body: mapAccessLogEcs({ id, account, enrichment: e, enriched, rawData: opts.rawData, access: p.access, activity: p.activity, origin: opts.origins?.get(account) }) }];
    case 'deleted_ticket':
      return [{ id, body: mapDeletedTicketEcs({ id, account, enrichment: e, enriched, rawData: opts.rawData, deleted: p.deleted }) }];
    case 'webhook':
      return [{ id, body: mapWebhookEcs({ id, account, enrichment: e, enriched, rawData: opts.rawData, webhook: p.webhook }) }];
  }
}

export const ecsTransform = defineTransform({
  type: 'ecs',
  description: 'Map Zendesk audit logs, ticket audits, access logs and ticket deletions to ECS 9.4.0 (with security enrichment by default)',
  options: schemaOptions,
  create(config, env) {
    return schemaTransform('ecs', { ...config, origins: accountOrigins(env.section(zendeskSection)) }, mapEcs);
  },
  worker(config, env) {
    return schemaWorkerRecipe('ecs', { ...config, origins: accountOrigins(env.section(zendeskSection)) });
  },
});

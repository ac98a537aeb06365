// Every source type the config accepts. One line per source.

import type { SourcePlugin } from '../core/plugin.js';
import { generatorSource } from './generator.js';
import { auditLogsSource } from './zendesk/audit-logs.js';
import { ticketEventsSource } from './zendesk/ticket-events.js';
import { accessLogsSource } from './zendesk/access-logs.js';
import { deletedTicketsSource } from './zendesk/deleted-tickets.js';
import { integrityHeadsSource } from '../integrity/heads-source.js';
import { zendeskWebhookSource } from './zendesk-webhook/index.js';

export const sourcePlugins: SourcePlugin[] = [
  generatorSource,
  auditLogsSource,
  ticketEventsSource,
  accessLogsSource,
  deletedTicketsSource,
  integrityHeadsSource,
  zendeskWebhookSource,
];

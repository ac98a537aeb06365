// What the ocsf and ecs transforms share: their options, the schema guard, reading and
// classifying the record, enrichment, and turning mapped bodies into pipeline events.

import { z } from 'zod';
import { duration } from '../src/config/units.js';
import type { WorkerRecipe } from '../src/core/pipeline/transform-pool.js';
import type { EventMeta, EventSchema, PipelineEvent, Transform } from '../src/core/types.js';
import { createEnricher, type Enrichment } from './enrich/index.js';
import { MappingError, type Raw } from './zendesk/fields.js';
import { prepare, sourcetypeOf, type Prepared } from './zendesk/prepare.js';
import { auditChangeKey, webhookChangeKey, WebhookDuplicates } from './zendesk/webhook-duplicates.js';

export const schemaOptions = {
  enrich: z
    .boolean()
    .default(true)
    .describe('Mark security-relevant events with a severity, a risk score and "risk:<rule>" labels, and publish parsed change_description before/after values'),
  newIpWindow: duration({ min: 60_000 })
    .default(30 * 86_400_000)
    .describe('How far back (in event time) a user\'s sign-in IPs are remembered for the "sign-in from a new IP" rule, e.g. "30d"'),
  newIpMaxUsers: z.number().int().min(1).max(10_000_000).default(100_000).describe('Users kept in the sign-in IP memory (least recently seen are forgotten first)'),
  massDeletionCount: z.number().int().min(2).max(100_000).default(10).describe('Label "risk:mass_ticket_deletion" when one user deletes at least this many tickets within massDeletionWindow'),
  massDeletionWindow: duration({ min: 1000 }).default(600_000).describe('Event-time window of the mass-deletion rule, e.g. "10m" (counted per transform, per process)'),
  ticketAudits: z
    .enum(['per_audit', 'per_child'])
    .default('per_audit')
    .describe('per_audit: one event per ticket audit, child events summarised; per_child: one event per child event (id "<audit id>:<child id>")'),
  dropAuditDuplicates: z
    .boolean()
    .default(false)
    .describe('One copy: drop the audit-log record of a user role change, creation or deletion already shipped from a webhook (both sources must be inputs of this transform; docs/webhooks.md)'),
  duplicateWindow: duration({ min: 60_000, max: 7 * 86_400_000 }).default(3_600_000).describe('How long (event time) a webhook waits for its audit-log twin, e.g. "1h"'),
  duplicateTolerance: duration({ min: 0, max: 300_000 }).default(5_000).describe('Largest time difference between the webhook and the audit-log record of one change, e.g. "5s"'),
  duplicateMaxSightings: z.number().int().min(1).max(10_000_000).default(100_000).describe('Webhook sightings kept for dropAuditDuplicates (oldest forgotten first)'),
  rawData: z.boolean().default(false).describe('Also ship the upstream JSON as a string (OCSF raw_data / ECS event.original); doubles event size'),
};

export type SchemaOptions = z.infer<z.ZodObject<typeof schemaOptions>>;

export interface Mapped {
  id: string;
  body: Raw;
}

/** What a mapper needs besides the record: the transform's options and each account's origin. */
export type MapperOptions = SchemaOptions & { origins?: ReadonlyMap<string, string> };

/** The recipe for a transform worker (the plugins' `worker`): `schema-worker.ts` builds the same transform there. */
export function schemaWorkerRecipe(schema: 'ocsf' | 'ecs', options: MapperOptions): WorkerRecipe {
  // Run from sources (tsx, vitest) the module is the .ts file; built, the .js beside this one.
  const module = new URL(`./schema-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
  return { module, options: { schema, options } };
}

export type SchemaMapper = (event: PipelineEvent, p: Prepared, e: Enrichment, opts: MapperOptions) => Mapped[];

export function schemaTransform(schema: Exclude<EventSchema, 'zendesk' | 'raw'>, opts: MapperOptions, map: SchemaMapper): Transform {
  const enrich = createEnricher({ enabled: opts.enrich, newIpWindowMs: opts.newIpWindow, newIpMaxUsers: opts.newIpMaxUsers, massDeletionCount: opts.massDeletionCount, massDeletionWindowMs: opts.massDeletionWindow });
  const duplicates = opts.dropAuditDuplicates
    ? new WebhookDuplicates({ windowMs: opts.duplicateWindow, toleranceMs: opts.duplicateTolerance, maxSightings: opts.duplicateMaxSightings })
    : undefined;
  return (event) => {
    if (event.meta.schema === schema) return event; // already mapped (e.g. replayed dead letters)
    if (event.meta.schema !== 'zendesk') throw new MappingError(`${schema} transform expects Zendesk records, got a "${event.meta.schema}" event`);
    const p = prepare(event);
    const account = event.meta.account;
    if (duplicates && p.stream === 'audit_log') {
      const key = auditChangeKey(account, p.audit, p.changes);
      if (key !== undefined && duplicates.takeAuditDuplicate(key, p.audit.time)) return null;
    }
    const e = enrich(p, account);
    const mapped = map(event, p, e, opts);
    if (duplicates && p.stream === 'webhook') {
      // Remembered only once mapped: a webhook that failed to map must not hide its audit twin.
      const key = webhookChangeKey(account, p.webhook);
      if (key !== undefined) duplicates.rememberWebhook(key, p.webhook.time);
    }
    const sourcetype = sourcetypeOf(event.meta.stream, schema);
    const out = mapped.map((m): PipelineEvent => {
      // Built field by field: object spread is measurably slower on this hot path.
      const meta: EventMeta = { id: m.id, account: event.meta.account, stream: event.meta.stream, time: event.meta.time, schema, sourcetype, severity: e.severityId };
      if (schema === 'ocsf') meta.classUid = m.body.class_uid as number;
      return { meta, body: m.body };
    });
    return out.length === 1 ? out[0] : out;
  };
}

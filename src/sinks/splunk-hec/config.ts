// Options of the `splunk_hec` sink. Batching, buffer, retry, concurrency, requestTimeout and
// healthcheck are common sink options added by the config loader.

import { z } from 'zod';
import type { SinkCommonOptions } from '../../core/plugin.js';
import { duration, size } from '../../config/units.js';
import { httpSinkOptions } from '../shared/http-options.js';
import { templateString } from '../shared/template.js';

/** The classic HEC `max_content_length` (limits.conf [http_input]); Splunk Cloud HEC also caps requests near 1 MB. */
export const DEFAULT_MAX_CONTENT_LENGTH = 1_000_000;

export const hecOptions = {
  endpoint: z
    .url({ protocol: /^https?$/, error: 'expected the HEC base URL such as https://splunk.example.com:8088' })
    .describe('HEC base URL (scheme, host, port, optional path prefix); /services/collector/... is appended'),
  token: z.string().min(1).describe('HEC token, sent as "Authorization: Splunk <token>"; use ${SPLUNK_HEC_TOKEN} or ${file:...}'),
  mode: z
    .enum(['event', 'raw'])
    .default('event')
    .describe('event: /services/collector/event with per-event time/host/source/sourcetype/index/fields; raw: /services/collector/raw, one event JSON per line, metadata per request'),
  sourcetype: templateString()
    .optional()
    .describe('Template; default: the event\'s suggested sourcetype, else zendesk:audit / zendesk:ticket_audit / zendesk:access by stream (zendesk:{stream} for others)'),
  source: templateString().default('zendesk:{account}').describe('Template for the HEC source'),
  host: templateString().default('{account}.zendesk.com').describe('Template for the HEC host'),
  index: templateString().optional().describe('Template for the HEC index; default: the token\'s default index'),
  fields: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/, 'expected a field name of letters, digits, _ . : -'), templateString())
    .optional()
    .describe('Indexed fields (flat key -> template); empty values are omitted. Event mode only.'),
  channel: z
    .guid('expected a GUID such as 0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba')
    .optional()
    .describe('X-Splunk-Request-Channel; default: a random GUID per process'),
  maxContentLength: size({ min: 1024 })
    .default(DEFAULT_MAX_CONTENT_LENGTH)
    .describe('Largest request body (encoded, before compression) the HEC accepts; larger batches are split, larger single events dead-lettered'),
  acknowledgements: z
    .strictObject({
      enabled: z.boolean().default(false).describe('Wait for indexer acknowledgement (/services/collector/ack) before an event counts as delivered'),
      queryInterval: duration({ min: 10 }).default(1000).describe('How often pending ackIds are polled (one request per channel for all of them)'),
      timeout: duration({ min: 100 })
        .default(25_000)
        .describe('Resend a batch whose ackId is not acknowledged within this time; keep it below requestTimeout'),
    })
    .default({ enabled: false, queryInterval: 1000, timeout: 25_000 })
    .describe('Indexer acknowledgements: an event counts as delivered only once HEC confirms it was indexed (off by default; Splunk Cloud does not offer them)'),
  ...httpSinkOptions,
};

export type HecConfig = z.infer<z.ZodObject<typeof hecOptions>> & { id: string } & SinkCommonOptions;

export const hecDefaults = {
  maxEvents: 1000,
  // Measured on the event bodies; the HEC envelope adds ~150-250 bytes per event, so this
  // leaves room below the 1 MB max_content_length for typical Zendesk events.
  maxBytes: 768 * 1024,
  maxWaitMs: 1000,
  concurrency: 4,
};

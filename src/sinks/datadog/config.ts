// Options of the `datadog_logs` sink. Batching, buffer, retry, concurrency, requestTimeout and
// healthcheck are common sink options added by the config loader.

import { z } from 'zod';
import type { SinkCommonOptions } from '../../core/plugin.js';
import { duration } from '../../config/units.js';
import { httpSinkOptions } from '../shared/http-options.js';
import { templateString } from '../shared/template.js';

export const DATADOG_SITES = [
  'datadoghq.com',
  'datadoghq.eu',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'ddog-gov.com',
] as const;

/** Intake limits of POST /api/v2/logs (Datadog "Send logs" API reference). */
export const DATADOG_LIMITS = {
  /** Maximum content size per payload, uncompressed: 5 MB (taken as 5,000,000 bytes, the stricter reading). */
  maxPayloadBytes: 5_000_000,
  /** Maximum array size when sending several logs. */
  maxEntries: 1000,
  /** Maximum size of a single log: 1 MB (1,000,000 bytes); Datadog truncates larger ones. */
  maxLogBytes: 1_000_000,
  /** Logs may be submitted with a timestamp up to 18 h in the past; older ones may not be indexed. */
  maxAgeMs: 18 * 3600_000,
} as const;

export const datadogOptions = {
  site: z.enum(DATADOG_SITES).default('datadoghq.com').describe('Datadog site; the intake is https://http-intake.logs.<site>'),
  endpoint: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://http-intake.logs.datadoghq.eu' })
    .optional()
    .describe('Explicit intake base URL (proxies, tests); overrides site. /api/v2/logs is appended'),
  apiEndpoint: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('Base URL for the API-key healthcheck (GET /api/v1/validate); default https://api.<site>, or `endpoint` when that is set'),
  apiKey: z.string().min(1).describe('Datadog API key (DD-API-KEY); use ${DD_API_KEY} or ${file:...}'),
  service: templateString().default('zendesk').describe('Template for the service reserved attribute'),
  source: templateString().default('zendesk').describe('Template for ddsource'),
  hostname: templateString().default('{account}.zendesk.com').describe('Template for the hostname reserved attribute'),
  tags: z
    .array(templateString())
    .default([])
    .describe('Extra tags (templates such as "env:prod" or "team:{account}"); account, stream and schema tags are always sent'),
  oversizedLogs: z
    .enum(['dead_letter', 'truncate'])
    .default('dead_letter')
    .describe('A log above 1 MB: dead_letter keeps it whole in the dead-letter store; truncate cuts the message and marks it zsf_truncated'),
  staleAfter: duration({ min: 0 })
    .default(DATADOG_LIMITS.maxAgeMs)
    .describe('Warn (log + zsf_sink_stale_events_total) about events older than this: Datadog may not index them'),
  ...httpSinkOptions,
};

export type DatadogConfig = z.infer<z.ZodObject<typeof datadogOptions>> & { id: string } & SinkCommonOptions;

export const datadogDefaults = {
  maxEvents: DATADOG_LIMITS.maxEntries,
  // Measured on event bodies; each log adds its attributes and JSON-string escaping of the
  // message (quotes become \"), so this leaves room below the 5 MB payload limit.
  maxBytes: 3_500_000,
  maxWaitMs: 1000,
  concurrency: 4,
};

export function intakeUrl(config: Pick<DatadogConfig, 'site' | 'endpoint'>): string {
  return (config.endpoint ?? `https://http-intake.logs.${config.site}`).replace(/\/+$/, '');
}

export function apiUrl(config: Pick<DatadogConfig, 'site' | 'endpoint' | 'apiEndpoint'>): string {
  return (config.apiEndpoint ?? config.endpoint ?? `https://api.${config.site}`).replace(/\/+$/, '');
}

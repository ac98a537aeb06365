// Options of the OTLP/HTTP logs sink. Batching, retry, buffer, concurrency and the
// request timeout (`requestTimeout`) are the common sink options added by the config loader.

import { z } from 'zod';
import type { SinkCommonOptions } from '../../core/plugin.js';
import { httpSinkOptions } from '../shared/http-options.js';

const attributeValue = z.union([z.string(), z.number(), z.boolean()]);

export const otlpOptions = {
  endpoint: z
    .url({ protocol: /^https?$/, error: 'expected the full OTLP/HTTP logs URL, e.g. https://collector:4318/v1/logs' })
    .describe('Full OTLP/HTTP logs URL, including the path (usually …/v1/logs)'),
  encoding: z
    .enum(['protobuf', 'json'])
    .default('protobuf')
    .describe('protobuf: application/x-protobuf (OTLP default); json: application/json (OTLP/JSON)'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('Extra request headers, e.g. { Authorization: "Bearer ${OTLP_TOKEN}" }; values are never logged'),
  resource: z
    .strictObject({
      serviceName: z.string().min(1).default('zendesk-siem-forwarder').describe('service.name resource attribute'),
      serviceVersion: z.string().optional().describe('service.version resource attribute (default: this program\'s version)'),
      attributes: z.record(z.string(), attributeValue).default({}).describe('Extra resource attributes, e.g. deployment.environment.name'),
    })
    .default({ serviceName: 'zendesk-siem-forwarder', attributes: {} })
    .describe('Resource of every exported log; zendesk.account is added per account'),
  ...httpSinkOptions,
};

export type OtlpConfig = z.infer<z.ZodObject<typeof otlpOptions>> & { id: string; type: string; inputs: string[] } & SinkCommonOptions;

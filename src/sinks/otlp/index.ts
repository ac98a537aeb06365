// OTLP/HTTP logs sink (`type: otlp`): each core batch is one ExportLogsServiceRequest,
// exported once; the response decides ack / retry / dead letter (see exporter.ts for why the
// transport is ours and not the packaged exporter's).

import { defineSink } from '../../core/plugin.js';
import { otlpOptions } from './config.js';
import { createOtlpDriver } from './driver.js';

export const otlpSink = defineSink({
  type: 'otlp',
  description: 'OpenTelemetry logs over OTLP/HTTP (protobuf or JSON), one export per batch',
  options: otlpOptions,
  // Collectors default to a 4 MiB gRPC/HTTP body limit; 1000 records of ~1 KiB stay well under it.
  defaults: { maxEvents: 1000, maxBytes: 2 * 1024 * 1024, maxWaitMs: 1000, concurrency: 4 },
  create(config, env) {
    return createOtlpDriver(config, env);
  },
});

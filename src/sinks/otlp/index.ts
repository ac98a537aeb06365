// OTLP/HTTP logs sink (`type: otlp`): each core batch is one ExportLogsServiceRequest,
// exported once; the response decides ack / retry / dead letter (driver.ts; see exporter.ts for
// why the transport is ours and not the packaged exporter's). The OpenTelemetry packages load
// with the driver, on first use (lazyDriver), so a config without an OTLP sink never loads them.

import { defineSink } from '../../core/plugin.js';
import { lazyDriver } from '../shared/lazy-driver.js';
import { otlpOptions } from './config.js';

/** Header names whose values are credentials: registered as secrets so no log or error can show them. */
const SECRET_HEADER = /authorization|token|key|secret|cookie|password|signature/i;

export const otlpSink = defineSink({
  type: 'otlp',
  description: 'OpenTelemetry logs over OTLP/HTTP (protobuf or JSON), one export per batch',
  options: otlpOptions,
  // Collectors default to a 4 MiB gRPC/HTTP body limit; 1000 records of ~1 KiB stay well under it.
  defaults: { maxEvents: 1000, maxBytes: 2 * 1024 * 1024, maxWaitMs: 1000, concurrency: 4 },
  create(config, env) {
    // Before anything can log: header credentials are secrets from the start.
    for (const [name, value] of Object.entries(config.headers)) if (SECRET_HEADER.test(name)) env.secrets.add(value);
    return lazyDriver(config.id, async () => (await import('./driver.js')).createOtlpDriver(config, env));
  },
});

// The common sink options (batch, concurrency, requestTimeout) the config loader adds to every
// sink, from a plugin's own defaults: for tests and benches that create a driver directly.

import type { SinkCommonOptions, SinkPlugin } from '../../src/core/plugin.js';

export function commonSinkOptions(plugin: Pick<SinkPlugin, 'defaults'>, over: Partial<SinkCommonOptions> = {}): SinkCommonOptions {
  const d = plugin.defaults;
  return {
    batch: { maxEvents: d.maxEvents, maxBytes: d.maxBytes, maxWait: d.maxWaitMs },
    concurrency: d.concurrency,
    requestTimeout: d.requestTimeoutMs ?? 30_000,
    ...over,
  };
}

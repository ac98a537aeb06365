// Accepts and discards everything: for benchmarks and for measuring the pipeline itself.

import { defineSink } from '../core/plugin.js';

export const nullSink = defineSink({
  type: 'null',
  description: 'Discard events (benchmarks)',
  options: {},
  defaults: { maxEvents: 1000, maxBytes: 4 * 1024 * 1024, maxWaitMs: 50, concurrency: 1 },
  create() {
    return { send: async () => ({ kind: 'ok' }) };
  },
});

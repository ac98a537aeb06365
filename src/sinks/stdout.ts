// NDJSON to standard output, for trying a config and for piping into other tools.

import { z } from 'zod';
import { defineSink } from '../core/plugin.js';
import { encodeNdjson } from './file.js';

export const stdoutSink = defineSink({
  type: 'stdout',
  description: 'Write events as NDJSON to standard output',
  options: {
    includeMeta: z.boolean().default(false).describe('Write {"meta":…,"event":…} instead of the bare event'),
  },
  defaults: { maxEvents: 500, maxBytes: 1024 * 1024, maxWaitMs: 100, concurrency: 1 },
  create(config, env) {
    return {
      async send(events) {
        const text = encodeNdjson(events, config.includeMeta);
        // Respect the pipe's own backpressure: wait for the write callback.
        await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
        env.metrics.sinkBytesSent.inc({ sink: config.id }, text.length);
        return { kind: 'ok' };
      },
    };
  },
});

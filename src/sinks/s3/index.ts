// S3 sink (`type: s3`): archive events to S3 or an S3-compatible store as gzip NDJSON or
// Parquet objects, with an Amazon Security Lake preset. See docs/sinks-otlp-s3.md.
// The AWS SDK and the Parquet writer load with the driver, on first use (lazyDriver).

import { defineSink } from '../../core/plugin.js';
import { lazyDriver } from '../shared/lazy-driver.js';
import { s3Options } from './config.js';
import { planFor } from './plan.js';

export const s3Sink = defineSink({
  type: 's3',
  description: 'Archive events to S3 (or an S3-compatible store) as gzip NDJSON or Parquet objects; Amazon Security Lake preset',
  options: s3Options,
  // One batch = one object per partition: these are the object roll limits. They fit the
  // default memory buffer (10k events / 64 MiB); with a disk buffer, raise them for larger objects.
  defaults: { maxEvents: 10_000, maxBytes: 32 * 1024 * 1024, maxWaitMs: 300_000, concurrency: 2, requestTimeoutMs: 300_000 },
  create(config, env) {
    const plan = planFor(config); // config errors surface here, at start-up
    return lazyDriver(config.id, async () => (await import('./driver.js')).createS3Driver(config, env, plan));
  },
});

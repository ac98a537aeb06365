// S3 sink (`type: s3`): each core batch becomes one object per partition of the key template
// (so the batch limits are the object roll limits: max events, max bytes, max age = maxWait),
// as gzip NDJSON or Parquet, optionally in the Amazon Security Lake custom-source layout.
// `send` resolves `ok` only after S3 has confirmed every object of the batch (driver.ts).
// The AWS SDK and the Parquet writer load with the driver, on first use (lazyDriver).

import { defineSink } from '../../core/plugin.js';
import { lazyDriver } from '../shared/lazy-driver.js';
import { s3Options, type S3Config } from './config.js';
import { compileKeyTemplate, type KeyTemplate } from './key-template.js';
import type { ParquetCompression } from './parquet.js';
import { ZSTD_AVAILABLE } from './zstd.js';

export const DEFAULT_KEY_TEMPLATE = '{prefix}/{account}/{stream}/dt=%Y-%m-%d/hour=%H/{host}-{timestamp}-{uuid}.{ext}';
export const SECURITY_LAKE_KEY_TEMPLATE = 'ext/{source_name}/region={region}/accountId={accountId}/eventDay=%Y%m%d/{host}-{timestamp}-{uuid}.{ext}';
const SECURITY_LAKE_VERSIONED_KEY_TEMPLATE = 'ext/{source_name}/{source_version}/region={region}/accountId={accountId}/eventDay=%Y%m%d/{host}-{timestamp}-{uuid}.{ext}';

export interface Plan {
  template: KeyTemplate;
  parquet: { compression: ParquetCompression; rowGroupEvents: number } | undefined;
  ndjson: { compression: 'gzip' | 'none'; level: number } | undefined;
  ext: string;
  securityLake: S3Config['securityLake'];
}

export function planFor(config: S3Config): Plan {
  const sl = config.securityLake;
  if (config.encoding.codec === 'parquet' && config.encoding.compression === 'zstd' && !ZSTD_AVAILABLE) {
    throw new Error(`sink ${config.id}: Parquet zstd compression needs Node.js >= 22.15 (node:zlib zstd); this is ${process.version}. Use snappy or gzip`);
  }
  if (sl) {
    if (!config.region) throw new Error(`sink ${config.id}: securityLake needs "region" (it is part of the Security Lake path)`);
    if (config.keyTemplate) throw new Error(`sink ${config.id}: keyTemplate cannot be combined with securityLake (the layout is fixed)`);
    const parquet = config.encoding.codec === 'parquet' ? config.encoding : { compression: 'snappy' as const, rowGroupEvents: 10_000 };
    return {
      template: compileKeyTemplate(sl.sourceVersion ? SECURITY_LAKE_VERSIONED_KEY_TEMPLATE : SECURITY_LAKE_KEY_TEMPLATE),
      parquet: { compression: parquet.compression, rowGroupEvents: parquet.rowGroupEvents },
      ndjson: undefined,
      ext: 'parquet',
      securityLake: sl,
    };
  }
  const template = compileKeyTemplate(config.keyTemplate ?? DEFAULT_KEY_TEMPLATE);
  if (!template.uses('uuid')) throw new Error(`sink ${config.id}: keyTemplate must contain {uuid}, or objects would overwrite each other`);
  if (config.encoding.codec === 'parquet') {
    return { template, parquet: { compression: config.encoding.compression, rowGroupEvents: config.encoding.rowGroupEvents }, ndjson: undefined, ext: 'parquet', securityLake: undefined };
  }
  const nd = config.encoding;
  return { template, parquet: undefined, ndjson: { compression: nd.compression, level: nd.level }, ext: nd.compression === 'gzip' ? 'ndjson.gz' : 'ndjson', securityLake: undefined };
}

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

// How an S3 sink lays out its objects (key template, encoding, Security Lake preset), worked
// out from the config alone. Kept apart from driver.ts so that validating a config (at start-up,
// `zsf validate`) loads neither the AWS SDK nor the Parquet writer.

import type { S3Config } from './config.js';
import type { ObjectEncoding } from './encode.js';
import { compileKeyTemplate, type KeyTemplate } from './key-template.js';
import { ZSTD_AVAILABLE } from './zstd.js';

export const DEFAULT_KEY_TEMPLATE = '{prefix}/{account}/{stream}/dt=%Y-%m-%d/hour=%H/{host}-{timestamp}-{uuid}.{ext}';
export const SECURITY_LAKE_KEY_TEMPLATE = 'ext/{source_name}/region={region}/accountId={accountId}/eventDay=%Y%m%d/{host}-{timestamp}-{uuid}.{ext}';
const SECURITY_LAKE_VERSIONED_KEY_TEMPLATE = 'ext/{source_name}/{source_version}/region={region}/accountId={accountId}/eventDay=%Y%m%d/{host}-{timestamp}-{uuid}.{ext}';

export interface Plan extends ObjectEncoding {
  template: KeyTemplate;
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


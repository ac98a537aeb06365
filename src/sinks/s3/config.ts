// Options of the S3 sink. The common sink options (buffer, batch, concurrency, requestTimeout,
// retry, healthcheck) are added by the config loader: one core batch becomes one object per
// partition, so `batch.maxEvents` / `batch.maxBytes` / `batch.maxWait` are the object roll limits.

import { z } from 'zod';
import { integrityOption } from '../../integrity/config.js';
import { OCSF_CLASS_UIDS } from './ocsf-schema.js';

export const STORAGE_CLASSES = [
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR', 'OUTPOSTS', 'SNOW', 'EXPRESS_ONEZONE',
] as const;

const checksumSetting = z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']);

// Amazon Security Lake custom source names (CreateCustomLogSource): at most 20 characters, so
// the provider role "AmazonSecurityLake-Provider-{name}-{region}" stays under IAM's 64; the
// API pattern allows word characters, "-", "_", ":" and "."; "/" would add a key level here.
export const SECURITY_LAKE_SOURCE_NAME_MAX = 20;

const SOURCE_NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const TOO_LONG = `a Security Lake custom source name has at most ${SECURITY_LAKE_SOURCE_NAME_MAX} characters (it is part of the provider IAM role name)`;
const BAD_CHARACTERS = 'a Security Lake custom source name has only letters, digits, "_", "-", ":" and "."';

/** Why `name` cannot be a custom source name (for names made from the sourceName template). */
export function sourceNameProblem(name: string): string | undefined {
  if (name.length > SECURITY_LAKE_SOURCE_NAME_MAX) return `${TOO_LONG}, this one has ${name.length}`;
  if (!SOURCE_NAME_PATTERN.test(name)) return BAD_CHARACTERS;
  return undefined;
}

// Plain constraints (not a refinement) so they also appear in the JSON schema (`zsf config schema`, Helm).
const securityLakeSourceName = z.string().min(1).max(SECURITY_LAKE_SOURCE_NAME_MAX, TOO_LONG).regex(SOURCE_NAME_PATTERN, BAD_CHARACTERS);

export const s3Options = {
  bucket: z.string().min(3).max(63).describe('Bucket name'),
  region: z.string().min(1).optional().describe('AWS region; default: the SDK chain (AWS_REGION, profile)'),
  endpoint: z.url({ protocol: /^https?$/ }).optional().describe('S3-compatible endpoint, e.g. http://127.0.0.1:9000'),
  forcePathStyle: z.boolean().default(false).describe('Path-style URLs (bucket in the path), needed by most S3-compatible stores'),
  profile: z.string().optional().describe('Shared-config profile for credentials (may assume a role with role_arn/external_id); default: the SDK default chain'),
  prefix: z.string().default('').describe('Value of {prefix} in the key template'),
  keyTemplate: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Object key template. strftime over the event time (UTC): %Y %m %d %H %M %S %j %%; event fields: {account} {stream} {schema} {class_uid} {sourcetype}; per object: {prefix} {host} {timestamp} {uuid} {ext}. ' +
        'Default: {prefix}/{account}/{stream}/dt=%Y-%m-%d/hour=%H/{host}-{timestamp}-{uuid}.{ext}',
    ),
  encoding: z
    .discriminatedUnion('codec', [
      z.strictObject({
        codec: z.literal('ndjson'),
        compression: z.enum(['gzip', 'none']).default('gzip'),
        level: z.number().int().min(1).max(9).default(6).describe('gzip level'),
      }),
      z.strictObject({
        codec: z.literal('parquet'),
        compression: z.enum(['snappy', 'gzip', 'zstd', 'none']).default('snappy').describe('Parquet page compression (zstd needs Node.js >= 22.15, whose node:zlib has zstd)'),
        rowGroupEvents: z.number().int().min(100).max(1_000_000).default(10_000).describe('Events per Parquet row group (memory while writing is about one row group)'),
      }),
    ])
    .default({ codec: 'ndjson', compression: 'gzip', level: 6 })
    .describe('ndjson (gzip by default) or parquet (OCSF: one fixed schema per class, built from the OCSF definition; other events: schema derived per object)'),
  securityLake: z
    .strictObject({
      accountId: z.string().regex(/^\d{12}$/, 'expected the 12-digit AWS account id of the custom source').describe('{accountId} in the Security Lake path'),
      sourceName: z.string().min(1).default('zendesk-{class_uid}').describe('Custom source name; {class_uid} is replaced (one custom source per OCSF class). At most 20 characters once replaced'),
      sourceNames: z.record(z.string().regex(/^\d+$/), securityLakeSourceName).default({}).describe('Custom source name per OCSF class_uid, e.g. { "3002": "zendesk-auth" }; overrides sourceName'),
      sourceVersion: z
        .string()
        .min(1)
        .max(32)
        .regex(/^[A-Za-z0-9._-]+$/, 'a Security Lake custom source version has only letters, digits, ".", "_" and "-"')
        .optional()
        .describe('Custom source version, when the source location includes one (ext/{name}/{version}/…)'),
    })
    .superRefine((sl, ctx) => {
      // sourceName is a template: check what it becomes for every class the forwarder writes.
      for (const uid of OCSF_CLASS_UIDS) {
        if (sl.sourceNames[uid]) continue;
        const name = sl.sourceName.replaceAll('{class_uid}', uid);
        const problem = sourceNameProblem(name);
        if (problem) {
          ctx.addIssue({ code: 'custom', path: ['sourceName'], message: `"${sl.sourceName}" gives "${name}" for class ${uid}: ${problem}` });
          return;
        }
      }
    })
    .optional()
    .describe('Amazon Security Lake preset: OCSF Parquet, one custom source per class, ext/{source}/region=…/accountId=…/eventDay=YYYYMMDD/'),
  serverSideEncryption: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('AES256') }),
      z.strictObject({
        type: z.literal('aws:kms'),
        kmsKeyId: z.string().min(1).optional().describe('KMS key id or ARN; default: the AWS managed key'),
        bucketKeyEnabled: z.boolean().optional(),
      }),
    ])
    .optional()
    .describe('SSE-S3 (AES256) or SSE-KMS'),
  storageClass: z.enum(STORAGE_CLASSES).optional().describe('S3 storage class of every object; default: STANDARD'),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}).describe('Object tags (sent as x-amz-tagging)'),
  objectLock: z
    .strictObject({
      mode: z.enum(['GOVERNANCE', 'COMPLIANCE']).describe('GOVERNANCE: users with a special permission may shorten the retention; COMPLIANCE: nobody can'),
      days: z.number().int().min(1).max(36_500).describe('Retain until upload time + days'),
    })
    .optional()
    .describe('S3 Object Lock retention for write-once archives (the bucket must have Object Lock enabled)'),
  requestChecksumCalculation: checksumSetting
    .default('WHEN_SUPPORTED')
    .describe('AWS SDK setting. WHEN_REQUIRED for S3-compatible stores that mishandle aws-chunked uploads with trailing checksums'),
  responseChecksumValidation: checksumSetting.default('WHEN_SUPPORTED').describe('AWS SDK setting'),
  partSize: z.number().int().min(5 * 1024 * 1024).default(8 * 1024 * 1024).describe('Multipart part size in bytes (objects larger than this are uploaded in parts)'),
  queueSize: z.number().int().min(1).max(16).default(4).describe('Parts uploaded in parallel; memory is about partSize × queueSize'),
  sdkMaxAttempts: z.number().int().min(1).max(10).default(3).describe('AWS SDK attempts per S3 request (e.g. one part) inside one delivery; the core retries the whole object after that'),
  integrity: integrityOption,
};

export type S3Config = z.infer<z.ZodObject<typeof s3Options>> & { id: string; type: string; inputs: string[] };

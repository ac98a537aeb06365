// The S3 side: client construction (credentials only from the SDK's default chain or a named
// profile, never from the config file, never logged), one object upload through lib-storage
// (PutObject for small objects, multipart with bounded memory for large ones), and the
// classification of S3 errors into delivery outcomes.

import { HeadBucketCommand, S3Client, S3ServiceException, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import type { SendOutcome } from '../../core/types.js';
import { describeError, parseRetryAfter } from '../../core/retry.js';
import type { S3Config } from './config.js';

export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.profile ? { profile: config.profile } : {}),
    forcePathStyle: config.forcePathStyle,
    requestChecksumCalculation: config.requestChecksumCalculation,
    responseChecksumValidation: config.responseChecksumValidation,
    maxAttempts: config.sdkMaxAttempts,
  });
}

/** Headers every object of this sink carries: encryption, storage class, tags, Object Lock. */
export function objectParams(config: S3Config, now: number): Partial<PutObjectCommandInput> {
  const p: Partial<PutObjectCommandInput> = {};
  const sse = config.serverSideEncryption;
  if (sse) {
    p.ServerSideEncryption = sse.type;
    if (sse.type === 'aws:kms') {
      if (sse.kmsKeyId) p.SSEKMSKeyId = sse.kmsKeyId;
      if (sse.bucketKeyEnabled !== undefined) p.BucketKeyEnabled = sse.bucketKeyEnabled;
    }
  }
  if (config.storageClass) p.StorageClass = config.storageClass;
  const tags = Object.entries(config.tags);
  if (tags.length) p.Tagging = new URLSearchParams(tags).toString();
  if (config.objectLock) {
    p.ObjectLockMode = config.objectLock.mode;
    p.ObjectLockRetainUntilDate = new Date(now + config.objectLock.days * 86_400_000);
    // S3 requires Content-MD5 or a checksum on uploads with a retention period; ask the SDK
    // for one even when requestChecksumCalculation is WHEN_REQUIRED.
    p.ChecksumAlgorithm = 'CRC32';
  }
  return p;
}

export interface UploadResult {
  bytes: number;
}

/** Uploads `body` as one object. Resolves only when S3 has confirmed the object (PutObject or CompleteMultipartUpload). */
export async function uploadObject(
  client: S3Client,
  config: S3Config,
  input: { key: string; body: Readable; contentType: string; contentEncoding?: string; metadata: Record<string, string>; now: number },
  signal: AbortSignal,
): Promise<void> {
  const abortController = new AbortController();
  const onAbort = () => abortController.abort();
  if (signal.aborted) abortController.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    const upload = new Upload({
      client,
      partSize: config.partSize,
      queueSize: config.queueSize,
      leavePartsOnError: false,
      abortController,
      params: {
        Bucket: config.bucket,
        Key: input.key,
        Body: input.body,
        ContentType: input.contentType,
        ...(input.contentEncoding ? { ContentEncoding: input.contentEncoding } : {}),
        Metadata: input.metadata,
        ...objectParams(config, input.now),
      },
    });
    await upload.done();
  } finally {
    signal.removeEventListener('abort', onAbort);
    input.body.destroy();
  }
}

export async function headBucket(client: S3Client, bucket: string, signal: AbortSignal): Promise<void> {
  await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
}

const AUTH_CODES = new Set([
  'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired',
  'AllAccessDisabled', 'AccountProblem', 'CredentialsProviderError', 'KMS.AccessDeniedException', 'KMS.DisabledException', 'KMS.NotFoundException',
]);
const RETRY_CODES = new Set(['SlowDown', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable', 'BadDigest', 'IncompleteBody', 'NoSuchUpload', 'OperationAborted', 'NoSuchBucket']);

/**
 * S3 error -> outcome. 401/403 and credential problems: auth (stop, keep the data, retry
 * slowly). EntityTooLarge/413: too_large. Throttling, 5xx, timeouts, network errors, checksum
 * mismatches and a missing bucket (it may be created later): retry. Other 4xx are
 * configuration or request errors no retry can fix: permanent (dead-lettered with the S3 code).
 * Messages come from S3 or the SDK; they never contain the secret key.
 */
export function classifyS3Error(err: unknown, now: number): SendOutcome {
  const name = (err as { name?: string })?.name ?? 'Error';
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const headers = (err as { $response?: { headers?: Record<string, string> } })?.$response?.headers;
  const reason = `${status ? `HTTP ${status} ` : ''}${describeError(err)}${name && !describeError(err).includes(name) ? ` (${name})` : ''}`;
  if (AUTH_CODES.has(name) || status === 401 || status === 403) return { kind: 'auth', reason };
  if (name === 'EntityTooLarge' || status === 413) return { kind: 'too_large', reason };
  if (!(err instanceof S3ServiceException) || status === undefined || RETRY_CODES.has(name) || status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers?.['retry-after'], now);
    return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
  }
  return { kind: 'permanent', reason };
}

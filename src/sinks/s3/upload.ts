// The S3 side: client construction (credentials only from the SDK's default chain or a named
// profile, never from the config file, never logged) and one object upload through lib-storage
// (PutObject for small objects, multipart with bounded memory for large ones). The
// classification of S3 errors is in classify.ts.

import { HeadBucketCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
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

/**
 * Uploads `body` as one object. Resolves only when S3 has confirmed the object (PutObject or
 * CompleteMultipartUpload). A Buffer is sent from where it is (lib-storage slices it into
 * parts); a stream is read into part buffers.
 */
export async function uploadObject(
  client: S3Client,
  config: S3Config,
  input: { key: string; body: Readable | Buffer; contentType: string; contentEncoding?: string; metadata: Record<string, string>; now: number },
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
    if (!Buffer.isBuffer(input.body)) input.body.destroy();
  }
}

export async function headBucket(client: S3Client, bucket: string, signal: AbortSignal): Promise<void> {
  await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
}

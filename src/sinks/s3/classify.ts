// The classification of S3 errors (as the AWS SDK throws them) into delivery outcomes (pure).

import { S3ServiceException } from '@aws-sdk/client-s3';
import { describeError } from '../../core/retry.js';
import type { SendOutcome } from '../../core/types.js';
import { redirectOutcome, retryOutcome } from '../shared/classify.js';

const AUTH_CODES = new Set([
  'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired',
  'AllAccessDisabled', 'AccountProblem', 'CredentialsProviderError', 'KMS.AccessDeniedException', 'KMS.DisabledException', 'KMS.NotFoundException',
]);
const RETRY_CODES = new Set(['SlowDown', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable', 'BadDigest', 'IncompleteBody', 'NoSuchUpload', 'OperationAborted', 'NoSuchBucket']);

/**
 * S3 error -> outcome. A 3xx (e.g. PermanentRedirect: the bucket is in another region) follows
 * the redirect rule of every sink: not followed, retried, the Location (when S3 sent one) in the
 * reason. 401/403 and credential problems: auth (stop, keep the data, retry slowly).
 * EntityTooLarge/413: too_large. Throttling, 5xx, timeouts, network errors, checksum mismatches and a missing bucket (it may be created later): retry. Other 4xx are
 * configuration or request errors no retry can fix: permanent (dead-lettered with the S3 code).
 * Messages come from S3 or the SDK; they never contain the secret key.
 */
export function classifyS3Error(err: unknown, now: number): SendOutcome {
  const name = (err as { name?: string })?.name ?? 'Error';
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const headers = (err as { $response?: { headers?: Record<string, string> } })?.$response?.headers;
  const reason = `${status ? `HTTP ${status} ` : ''}${describeError(err)}${name && !describeError(err).includes(name) ? ` (${name})` : ''}`;
  if (status !== undefined && status >= 300 && status < 400) return redirectOutcome(reason, headers ?? {});
  if (AUTH_CODES.has(name) || status === 401 || status === 403) return { kind: 'auth', reason };
  if (name === 'EntityTooLarge' || status === 413) return { kind: 'too_large', reason };
  if (!(err instanceof S3ServiceException) || status === undefined || RETRY_CODES.has(name) || status === 408 || status === 429 || status >= 500) {
    return retryOutcome(reason, headers ?? {}, now);
  }
  return { kind: 'permanent', reason };
}

// Zendesk's webhook signature (developer.zendesk.com/documentation/webhooks/verifying/):
// X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, X-Zendesk-Webhook-Signature-Timestamp + raw body)).
// Checked over the raw bytes, compared in constant time; a timestamp outside the window is
// refused even with a valid signature, so a captured request cannot be replayed later.

import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
export const TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';

export type VerifyFailure = 'missing_signature' | 'bad_signature' | 'bad_timestamp' | 'stale_timestamp';

export interface VerifyInput {
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  body: Buffer;
  now: number;
  toleranceMs: number;
}

/** The signature Zendesk sends for this timestamp and body. */
export function sign(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(timestamp).update(body).digest('base64');
}

/** Zendesk sends ISO 8601 (`2021-03-04T05:06:07Z`); epoch seconds are accepted too. */
export function parseSignatureTime(timestamp: string): number | undefined {
  const t = /^\d{9,11}$/.test(timestamp) ? Number(timestamp) * 1000 : Date.parse(timestamp);
  return Number.isFinite(t) ? t : undefined;
}

/** `undefined` when the request is authentic and fresh, else why not. */
export function verifyRequest(v: VerifyInput): VerifyFailure | undefined {
  if (!v.signature || !v.timestamp) return 'missing_signature';
  const expected = Buffer.from(sign(v.secret, v.timestamp, v.body), 'base64');
  const given = Buffer.from(v.signature, 'base64');
  // Length first: timingSafeEqual needs equal lengths, and a length says nothing about the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  const t = parseSignatureTime(v.timestamp);
  if (t === undefined) return 'bad_timestamp';
  if (Math.abs(v.now - t) > v.toleranceMs) return 'stale_timestamp';
  return undefined;
}

// Every network sink's classify.ts is pure: these tables pin the answer -> outcome mapping of
// each protocol without a server (the receiver tests check the same through the drivers).

import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { classifyDatadogResponse } from '../../src/sinks/datadog/classify.js';
import { classifyOtlpResponse } from '../../src/sinks/otlp/classify.js';
import { classifyS3Error } from '../../src/sinks/s3/classify.js';
import { classifyAckReply, classifyHecResponse, type HecVerdict } from '../../src/sinks/splunk-hec/classify.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');

describe('splunk_hec classify', () => {
  const hec = (status: number, body: unknown, headers: Record<string, string> = {}) => classifyHecResponse({ status, headers, text: typeof body === 'string' ? body : JSON.stringify(body) }, NOW);
  const cases: [string, number, unknown, Record<string, string>, HecVerdict][] = [
    ['0 success', 200, { text: 'Success', code: 0 }, {}, { kind: 'accepted' }],
    ['success with ackId', 200, { text: 'Success', code: 0, ackId: 7 }, {}, { kind: 'accepted', ackId: 7 }],
    ['1 token disabled', 403, { text: 'Token disabled', code: 1 }, {}, { kind: 'auth', reason: 'HEC HTTP 403 code 1: Token disabled' }],
    ['16 query auth off (400)', 400, { text: 'Query string authorization is not enabled', code: 16 }, {}, { kind: 'auth', reason: 'HEC HTTP 400 code 16: Query string authorization is not enabled' }],
    ['5 no data', 400, { text: 'No data', code: 5 }, {}, { kind: 'permanent', reason: 'HEC HTTP 400 code 5: No data' }],
    ['6 with invalid-event-number', 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 3 }, {}, { kind: 'invalid_event', position: 3, code: 6, reason: 'HEC HTTP 400 code 6: Invalid data format (invalid-event-number 3)' }],
    ['6 without a number', 400, { text: 'Invalid data format', code: 6 }, {}, { kind: 'permanent', reason: 'HEC HTTP 400 code 6: Invalid data format' }],
    ['9 busy + Retry-After', 503, { text: 'Server is busy', code: 9 }, { 'retry-after': '5' }, { kind: 'retry', reason: 'HEC HTTP 503 code 9: Server is busy', retryAfterMs: 5000 }],
    ['8 internal (500)', 500, { text: 'Internal server error', code: 8 }, {}, { kind: 'retry', reason: 'HEC HTTP 500 code 8: Internal server error' }],
    ['413', 413, 'Content too large', {}, { kind: 'too_large', reason: 'HEC HTTP 413: Content too large' }],
    ['301', 301, '', { location: 'https://new:8088/services/collector/event' }, { kind: 'retry', reason: 'HEC HTTP 301; redirected to https://new:8088/services/collector/event: fix the endpoint' }],
    ['404 plain text', 404, 'not here', {}, { kind: 'permanent', reason: 'HEC HTTP 404: not here' }],
  ];
  it.each(cases)('%s', (_n, status, body, headers, expected) => {
    expect(hec(status, body, headers)).toEqual(expected);
  });

  it('/ack answers', () => {
    expect(classifyAckReply(200, '{"acks":{"1":true,"2":false}}')).toEqual({ kind: 'acks', acks: { 1: true, 2: false } });
    expect(classifyAckReply(200, 'nonsense')).toEqual({ kind: 'error', reason: 'unexpected /ack answer: HEC HTTP 200: nonsense' });
    expect(classifyAckReply(403, '{"text":"Invalid token","code":4}')).toEqual({ kind: 'auth', reason: 'HEC HTTP 403 code 4: Invalid token' });
    expect(classifyAckReply(400, '{"text":"ACK is disabled","code":14}')).toEqual({ kind: 'disabled', reason: 'HEC HTTP 400 code 14: ACK is disabled' });
    expect(classifyAckReply(503, '{"text":"Server is busy","code":9}')).toEqual({ kind: 'error', reason: 'HEC HTTP 503 code 9: Server is busy' });
  });
});

describe('datadog_logs classify', () => {
  const cases: [string, number, Record<string, string>, string, unknown][] = [
    ['202', 202, {}, '{}', { kind: 'ok' }],
    ['400 with errors', 400, {}, '{"errors":[{"title":"Bad Request","detail":"malformed"}]}', { kind: 'permanent', reason: 'Datadog HTTP 400: Bad Request: malformed' }],
    ['403', 403, {}, '{"errors":["Forbidden"]}', { kind: 'auth', reason: 'Datadog HTTP 403: Forbidden' }],
    ['429 + X-RateLimit-Reset only', 429, { 'x-ratelimit-reset': '12' }, '', { kind: 'retry', reason: 'Datadog HTTP 429', retryAfterMs: 12_000 }],
    ['429 + Retry-After wins', 429, { 'retry-after': '3', 'x-ratelimit-reset': '12' }, '', { kind: 'retry', reason: 'Datadog HTTP 429', retryAfterMs: 3000 }],
    ['413', 413, {}, '', { kind: 'too_large', reason: 'Datadog HTTP 413' }],
    ['307', 307, { location: 'https://other/api/v2/logs' }, '', { kind: 'retry', reason: 'Datadog HTTP 307; redirected to https://other/api/v2/logs: fix the endpoint' }],
    ['501', 501, {}, '', { kind: 'permanent', reason: 'Datadog HTTP 501' }],
  ];
  it.each(cases)('%s', (_n, status, headers, text, expected) => {
    expect(classifyDatadogResponse(status, headers, text, NOW)).toEqual(expected);
  });
});

describe('otlp classify', () => {
  const otlp = (status: number, headers: Record<string, string> = {}, body = '') => classifyOtlpResponse({ status, headers: { 'content-type': 'text/plain', ...headers }, body: Buffer.from(body) }, NOW);
  it('follows the OTLP spec for 5xx and the shared rule for redirects', () => {
    expect(otlp(200)).toEqual({ kind: 'ok' });
    expect(otlp(503, { 'retry-after': '2' })).toEqual({ kind: 'retry', reason: 'HTTP 503', retryAfterMs: 2000 });
    expect(otlp(500, {}, 'boom')).toEqual({ kind: 'permanent', reason: 'HTTP 500: boom' });
    expect(otlp(501)).toEqual({ kind: 'permanent', reason: 'HTTP 501' });
    expect(otlp(308, { location: 'https://c:4318/v1/logs' })).toEqual({ kind: 'retry', reason: 'HTTP 308; redirected to https://c:4318/v1/logs: fix the endpoint' });
    expect(otlp(401)).toEqual({ kind: 'auth', reason: 'HTTP 401' });
  });
});

describe('s3 classify', () => {
  const s3Error = (name: string, status: number, headers: Record<string, string> = {}) =>
    Object.assign(new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: `${name} happened` }), { $response: { headers } });
  it('maps S3 errors by code and status', () => {
    expect(classifyS3Error(s3Error('AccessDenied', 403), NOW)).toMatchObject({ kind: 'auth' });
    expect(classifyS3Error(s3Error('EntityTooLarge', 400), NOW)).toMatchObject({ kind: 'too_large' });
    expect(classifyS3Error(s3Error('SlowDown', 503, { 'retry-after': '4' }), NOW)).toMatchObject({ kind: 'retry', retryAfterMs: 4000 });
    expect(classifyS3Error(s3Error('InvalidArgument', 400), NOW)).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('InvalidArgument') });
    expect(classifyS3Error(s3Error('PermanentRedirect', 301, { location: 'https://b.s3.eu-west-1.amazonaws.com/' }), NOW)).toEqual({
      kind: 'retry',
      reason: 'HTTP 301 PermanentRedirect happened; redirected to https://b.s3.eu-west-1.amazonaws.com/: fix the endpoint',
    });
    expect(classifyS3Error(new Error('socket hang up'), NOW)).toEqual({ kind: 'retry', reason: 'socket hang up (Error)' });
  });
});

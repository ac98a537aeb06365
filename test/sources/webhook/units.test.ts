// The pure parts of the webhook source: signature/timestamp check (table), dedupe window,
// per-address token bucket.

import { describe, expect, it } from 'vitest';
import { DedupeWindow } from '../../../src/sources/zendesk-webhook/dedupe.js';
import { AddressRateLimiter } from '../../../src/sources/zendesk-webhook/rate-limit.js';
import { sign, verifyRequest, type VerifyInput } from '../../../src/sources/zendesk-webhook/verify.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const SECRET = 'secret-a';
const BODY = Buffer.from('{"id":"e1","type":"zen:event-type:user.created"}');
const TS = '2026-11-30T11:59:30Z';

describe('verifyRequest', () => {
  const base: VerifyInput = { secret: SECRET, signature: sign(SECRET, TS, BODY), timestamp: TS, body: BODY, now: NOW, toleranceMs: 300_000 };
  const cases: [string, Partial<VerifyInput>, string | undefined][] = [
    ['valid', {}, undefined],
    ['epoch-seconds timestamp', { timestamp: String(NOW / 1000), signature: sign(SECRET, String(NOW / 1000), BODY) }, undefined],
    ['missing signature', { signature: undefined }, 'missing_signature'],
    ['missing timestamp', { timestamp: undefined }, 'missing_signature'],
    ['other secret', { signature: sign('secret-b', TS, BODY) }, 'bad_signature'],
    ['body changed by one byte', { body: Buffer.from(BODY.toString().replace('e1', 'e2')) }, 'bad_signature'],
    ['timestamp changed (signature covers it)', { timestamp: '2026-11-30T11:59:31Z' }, 'bad_signature'],
    ['signature truncated', { signature: sign(SECRET, TS, BODY).slice(0, 20) }, 'bad_signature'],
    ['signature not base64', { signature: '!!!' }, 'bad_signature'],
    ['hex instead of base64', { signature: Buffer.from(sign(SECRET, TS, BODY), 'base64').toString('hex') }, 'bad_signature'],
    ['unparseable timestamp, correctly signed', { timestamp: 'yesterday', signature: sign(SECRET, 'yesterday', BODY) }, 'bad_timestamp'],
    ['5 min 1 s old', { timestamp: '2026-11-30T11:54:59Z', signature: sign(SECRET, '2026-11-30T11:54:59Z', BODY) }, 'stale_timestamp'],
    ['5 min 1 s in the future', { timestamp: '2026-11-30T12:05:01Z', signature: sign(SECRET, '2026-11-30T12:05:01Z', BODY) }, 'stale_timestamp'],
    ['exactly 5 min old', { timestamp: '2026-11-30T11:55:00Z', signature: sign(SECRET, '2026-11-30T11:55:00Z', BODY) }, undefined],
  ];
  for (const [name, change, expected] of cases) {
    it(name, () => expect(verifyRequest({ ...base, ...change })).toBe(expected));
  }
  it('the signature is base64(HMAC-SHA256(secret, timestamp + body)) as Zendesk documents', async () => {
    const { createHmac } = await import('node:crypto');
    expect(sign(SECRET, TS, BODY)).toBe(createHmac('sha256', SECRET).update(TS + BODY.toString()).digest('base64'));
  });
});

describe('DedupeWindow', () => {
  it('a copy arriving while the first is in flight learns its fate; a failed first copy lets the next one emit', async () => {
    const d = new DedupeWindow(10);
    expect(d.claim('a').state).toBe('new');
    const second = d.claim('a');
    expect(second.state).toBe('in_flight');
    d.done('a', false);
    expect(second.state === 'in_flight' && (await second.settled)).toBe(false);
    expect(d.claim('a').state).toBe('new');
    d.done('a', true);
    expect(d.claim('a').state).toBe('durable');
  });

  it('is bounded: the oldest durable ids are forgotten, ids in flight never', () => {
    const d = new DedupeWindow(3);
    d.claim('inflight');
    for (const id of ['a', 'b', 'c', 'd']) {
      d.claim(id);
      d.done(id, true);
    }
    expect(d.size).toBe(3);
    expect(d.claim('inflight').state).toBe('in_flight');
    expect(d.claim('d').state).toBe('durable');
    expect(d.claim('a').state).toBe('new'); // forgotten
  });
});

describe('AddressRateLimiter', () => {
  it('one address exhausting its bucket does not touch another; tokens come back with time', () => {
    const r = new AddressRateLimiter({ ratePerSecond: 10, burst: 5, maxAddresses: 100 });
    let granted = 0;
    for (let i = 0; i < 100; i++) if (r.take('10.0.0.66', NOW)) granted++;
    expect(granted).toBe(5);
    expect(r.take('10.0.0.1', NOW)).toBe(true);
    expect(r.retryAfterSeconds('10.0.0.66')).toBe(1);
    expect(r.take('10.0.0.66', NOW + 100)).toBe(true); // 0.1 s × 10/s = 1 token
    expect(r.take('10.0.0.66', NOW + 100)).toBe(false);
  });

  it('remembers at most maxAddresses', () => {
    const r = new AddressRateLimiter({ ratePerSecond: 1, burst: 1, maxAddresses: 16 });
    for (let i = 0; i < 1000; i++) r.take(`10.0.${i >> 8}.${i & 255}`, NOW);
    // The newest address is still limited (remembered), the table did not grow past the bound.
    expect(r.take('10.0.3.231', NOW)).toBe(false);
    expect((r as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(16);
  });
});

// Signed Zendesk event webhooks, as Zendesk sends them (envelope, X-Zendesk-Webhook-Signature
// over timestamp + body), for `zsf simulate --webhook-url` and `zsf webhook-test`. Seeded: the
// same seed sends the same events. Fractions of bad requests (wrong signature, stale timestamp,
// oversized body) exercise the receiver's refusals.

import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { mulberry32, type Rng } from './prng.js';

/** A mix of the security-relevant types and ordinary ones. */
export const WEBHOOK_SAMPLE_TYPES = [
  'user.role_changed',
  'user.suspended_changed',
  'user.identity_created',
  'user.deleted',
  'user.created',
  'user.group_membership_created',
  'organization.created',
  'ticket.status_changed',
  'ticket.soft_deleted',
] as const;

const ROLES = ['end-user', 'agent', 'admin'];

function uuid(rng: Rng): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** One event webhook body of `type` (without the `zen:event-type:` prefix). */
export function webhookSample(rng: Rng, type: string, now = Date.now()): Record<string, unknown> {
  const userId = String(360_000_000 + Math.floor(rng() * 1_000_000));
  const ticketId = String(1 + Math.floor(rng() * 100_000));
  const time = new Date(now).toISOString();
  const family = type.split('.')[0]!;
  const user = { created_at: '2024-01-01T00:00:00Z', default_group_id: '6600001', email: `user${userId}@example.com`, external_id: null, id: userId, organization_id: '7700001', role: 'agent', updated_at: time };
  const ticket = { actor_id: userId, assignee_id: userId, brand_id: '3600001', created_at: time, custom_status: '1', description: 'Simulated ticket', external_id: null, form_id: '3700001', group_id: '6600001', id: ticketId, is_public: true, organization_id: '7700001', priority: 'normal', requester_id: '20978392', status: 'OPEN', subject: 'Simulated ticket', submitter_id: '20978392', tags: [], type: 'QUESTION', updated_at: time, via: { channel: 'web_service' } };
  const org = { created_at: time, external_id: null, group_id: null, id: '7700001', name: 'Simulated Org', shared_comments: false, shared_tickets: false, updated_at: time };
  let event: Record<string, unknown> = {};
  if (type === 'user.role_changed') {
    const prev = ROLES[Math.floor(rng() * ROLES.length)]!;
    event = { previous: prev, current: ROLES.filter((r) => r !== prev)[Math.floor(rng() * 2)]! };
  } else if (type === 'user.suspended_changed') event = { previous: false, current: true };
  else if (type === 'user.identity_created') event = { identity: { id: String(Math.floor(rng() * 1e9)), primary: false, type: 'email', value: `alt${userId}@example.com` } };
  else if (type === 'user.group_membership_created') event = { group: { id: '6600002', name: 'Tier 2' } };
  else if (type === 'ticket.status_changed') event = { previous: 'OPEN', current: 'SOLVED' };
  const [subject, detail] = family === 'ticket' ? [`zen:ticket:${ticketId}`, ticket] : family === 'organization' ? ['zen:organization:7700001', org] : [`zen:user:${userId}`, user];
  return { account_id: 12514403, detail, event, id: uuid(rng), subject, time, type: `zen:event-type:${type}`, zendesk_event_version: '2022-11-06' };
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(timestamp).update(body).digest('base64');
}

export interface SendResult {
  status: number;
  body: string;
}

/** Posts one body the way Zendesk does. `timestamp` defaults to now (ISO 8601). */
export async function sendWebhook(url: string, secret: string, body: string, timestamp = new Date().toISOString()): Promise<SendResult> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-zendesk-webhook-signature-timestamp': timestamp, 'x-zendesk-webhook-signature': signWebhook(secret, timestamp, body) },
    body,
    headersTimeout: 12_000,
    bodyTimeout: 12_000,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

export interface WebhookSenderOptions {
  url: string;
  secret: string;
  ratePerSecond: number;
  seed: number;
  /** Fractions (0..1) of requests made bad on purpose. */
  badSignature: number;
  stale: number;
  oversized: number;
  /** Stop after this many requests (default: until stopped). */
  count?: number;
}

export interface WebhookSender {
  /** Requests by outcome: HTTP status, or "error". */
  counts: Record<string, number>;
  done: Promise<void>;
  stop(): void;
}

export function startWebhookSender(o: WebhookSenderOptions): WebhookSender {
  const rng = mulberry32(o.seed);
  const counts: Record<string, number> = {};
  let stopped = false;
  const done = (async () => {
    const start = Date.now();
    for (let i = 0; !stopped && (o.count === undefined || i < o.count); i++) {
      const due = start + (i * 1000) / o.ratePerSecond;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const type = WEBHOOK_SAMPLE_TYPES[Math.floor(rng() * WEBHOOK_SAMPLE_TYPES.length)]!;
      const sample = webhookSample(rng, type);
      const roll = rng();
      let body = JSON.stringify(sample);
      let timestamp = new Date().toISOString();
      let secret = o.secret;
      if (roll < o.badSignature) secret = `${o.secret}-wrong`;
      else if (roll < o.badSignature + o.stale) timestamp = new Date(Date.now() - 3_600_000).toISOString();
      else if (roll < o.badSignature + o.stale + o.oversized) body = JSON.stringify({ ...sample, padding: 'x'.repeat(2 * 1024 * 1024) });
      // Not awaited one by one: the rate holds even when answers are slow.
      void sendWebhook(o.url, secret, body, timestamp).then(
        (r) => (counts[r.status] = (counts[r.status] ?? 0) + 1),
        () => (counts.error = (counts.error ?? 0) + 1),
      );
    }
  })();
  return { counts, done, stop: () => (stopped = true) };
}

// The envelope every Zendesk event webhook carries (developer.zendesk.com, "Webhook event
// types"): { type, id, time, account_id, zendesk_event_version, subject, detail, event }.

export const WEBHOOK_STREAM = 'webhook';

export interface Envelope {
  /** Zendesk's event id (a UUID): the upstream id of the record, and the dedupe key. */
  id: string;
  /** e.g. `zen:event-type:user.role_changed` */
  type: string;
  /** When the event happened, epoch ms. */
  time: number;
}

/** The envelope's fields the source needs, or why the body is not a Zendesk event. */
export function readEnvelope(body: unknown): Envelope | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body is not a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.id !== 'string' || b.id.length === 0 || b.id.length > 200) return 'missing or invalid "id"';
  if (typeof b.type !== 'string' || !b.type.startsWith('zen:event-type:')) return 'missing or invalid "type" (expected zen:event-type:...)';
  const time = typeof b.time === 'string' ? Date.parse(b.time) : NaN;
  if (!Number.isFinite(time)) return 'missing or invalid "time"';
  return { id: b.id, type: b.type, time };
}

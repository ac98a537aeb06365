// Ticket audits, from either the Ticket Audits API (`audits[]` with `events` and
// `metadata.system`) or the incremental ticket event export (`ticket_events[]` with
// `child_events`, `system`, `updater_id`, `timestamp`). Both shapes are read into one form.

import { fail, idOf, ipOf, isObject, rest, text, timeOf, type Raw } from './fields.js';

export interface TicketChild {
  id?: string;
  type: string;
  raw: Raw;
}

export interface TicketAudit {
  id: string;
  ticketId: string;
  time: number;
  /** Upstream time text (created_at, or the `timestamp` seconds as given). */
  originalTime: string;
  /** author_id (audits API) or updater_id (incremental export). */
  actorId?: string;
  ip?: string;
  userAgent?: string;
  location?: string;
  latitude?: number;
  longitude?: number;
  viaChannel?: string;
  children: TicketChild[];
  raw: Raw;
}

/** Keys placed in first-class fields; the rest goes to OCSF `unmapped` / ECS `zendesk.ticket_audit`. */
export const TICKET_AUDIT_MAPPED_KEYS: ReadonlySet<string> = new Set([
  'id', 'ticket_id', 'created_at', 'timestamp', 'time', 'author_id', 'updater_id', 'events', 'child_events',
]);

export function readTicketAudit(raw: unknown): TicketAudit {
  if (!isObject(raw)) fail('ticket_audit', 'record is not a JSON object');
  const id = idOf(raw.id);
  if (id === undefined) fail('ticket_audit', `missing or invalid "id" (${JSON.stringify(raw.id)})`);
  const ticketId = idOf(raw.ticket_id);
  if (ticketId === undefined) fail('ticket_audit', `missing or invalid "ticket_id" in audit ${id}`);
  const timeSource = raw.created_at ?? raw.timestamp ?? raw.time;
  const time = timeOf(timeSource);
  if (time === undefined) fail('ticket_audit', `missing or invalid "created_at"/"timestamp" in audit ${id}`);
  const list = raw.events ?? raw.child_events ?? [];
  if (!Array.isArray(list)) fail('ticket_audit', `"events"/"child_events" is not an array in audit ${id}`);

  const children: TicketChild[] = [];
  for (const c of list) {
    if (!isObject(c)) continue; // a null or scalar child carries nothing to map
    const type = text(c.type) ?? text(c.event_type) ?? 'Unknown';
    children.push({ id: idOf(c.id), type, raw: c });
  }
  const system = isObject(raw.system) ? raw.system : isObject(raw.metadata) && isObject(raw.metadata.system) ? raw.metadata.system : {};
  const via = isObject(raw.via) ? raw.via : undefined;
  return {
    id,
    ticketId,
    time,
    originalTime: typeof timeSource === 'string' ? timeSource : String(timeSource),
    actorId: idOf(raw.author_id) ?? idOf(raw.updater_id),
    ip: ipOf(system.ip_address),
    userAgent: text(system.client),
    location: text(system.location),
    latitude: typeof system.latitude === 'number' ? system.latitude : undefined,
    longitude: typeof system.longitude === 'number' ? system.longitude : undefined,
    viaChannel: via ? text(via.channel) : undefined,
    children,
    raw,
  };
}

const SYSTEM_MAPPED_KEYS: ReadonlySet<string> = new Set(['client', 'ip_address', 'location', 'latitude', 'longitude']);

/** The audit's fields that have no first-class place (system metadata already mapped is left out). */
export function ticketRest(t: TicketAudit): Raw {
  const u: Raw = rest(t.raw, TICKET_AUDIT_MAPPED_KEYS) ?? {};
  if (isObject(u.system)) {
    const s = rest(u.system, SYSTEM_MAPPED_KEYS);
    if (s) u.system = s;
    else delete u.system;
  }
  if (isObject(u.metadata)) {
    const m: Raw = { ...u.metadata };
    if (isObject(m.system)) {
      const s = rest(m.system, SYSTEM_MAPPED_KEYS);
      if (s) m.system = s;
      else delete m.system;
    }
    u.metadata = m;
  }
  return u;
}

// ---------------------------------------------------------------- classification

export type TicketActivity = 'create' | 'update' | 'share' | 'other';

/** Child event types that change the ticket (OCSF Update). */
const UPDATE_TYPES = new Set([
  'Change', 'Comment', 'VoiceComment', 'CommentRedactionEvent', 'AttachmentRedactionEvent', 'CommentPrivacyChange',
  'FollowerChange', 'EmailCcChange', 'Cc', 'AgentMacroReference', 'SatisfactionRating', 'SlaTargetChange',
  'AssociateAttValsEvent', 'TicketMerge',
]);

/**
 * Every child type the docs list, for the corpus and the docs. Notifications and channel
 * events (Notification, SMS, Tweet, Push, Error, ...) do not change the ticket: "Other".
 */
export const TICKET_EVENT_TYPES = [
  'Create', 'Change', 'Comment', 'VoiceComment', 'CommentRedactionEvent', 'AttachmentRedactionEvent', 'CommentPrivacyChange',
  'SuspendedTicketRecovery', 'Notification', 'NotificationWithCcs', 'SMS', 'Cc', 'FollowerNotification', 'FollowerChange',
  'EmailCcChange', 'AgentMacroReference', 'SatisfactionRating', 'TicketSharingEvent', 'OrganizationActivity', 'SlaTargetChange',
  'Error', 'Tweet', 'FacebookEvent', 'FacebookComment', 'External', 'LogMeInTranscript', 'Push', 'ChatStartedEvent',
  'ChatEndedEvent', 'AssociateAttValsEvent', 'SurveyOffered', 'SurveyResponseSubmitted', 'OfferedTo',
] as const;

export function childActivity(type: string): TicketActivity {
  if (type === 'Create') return 'create';
  if (type === 'TicketSharingEvent') return 'share';
  if (UPDATE_TYPES.has(type)) return 'update';
  return 'other';
}

/**
 * The activity of a whole audit: Create beats Share beats Update beats Other. Returns the
 * child type that decided it (for `activity_name` on Other and for `metadata.event_code`).
 */
export function auditActivity(t: TicketAudit): { activity: TicketActivity; type: string } {
  const rank: Record<TicketActivity, number> = { create: 3, share: 2, update: 1, other: 0 };
  let best: { activity: TicketActivity; type: string } | undefined;
  for (const c of t.children) {
    const a = childActivity(c.type);
    if (!best || rank[a] > rank[best.activity]) best = { activity: a, type: c.type };
  }
  return best ?? { activity: 'other', type: text(t.raw.event_type) ?? text(t.raw.type) ?? 'Audit' };
}

/** A body-free summary of one child event (comment bodies stay in the full copy only). */
export function childSummary(c: TicketChild): Raw {
  const r = c.raw;
  const out: Raw = { type: c.type };
  if (c.id !== undefined) out.id = c.id;
  for (const k of ['field_name', 'value', 'previous_value', 'public', 'action', 'agreement_id', 'recipients', 'macro_id', 'macro_title', 'score']) {
    const v = r[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

/** One line for `message`, e.g. "Ticket 123 updated: Comment, Change(status)". */
export function auditMessage(t: TicketAudit, activity: TicketActivity, children: TicketChild[] = t.children): string {
  const verb = { create: 'created', update: 'updated', share: 'shared', other: 'event' }[activity];
  const parts = children.map((c) => (typeof c.raw.field_name === 'string' ? `${c.type}(${c.raw.field_name})` : c.type));
  return `Ticket ${t.ticketId} ${verb}${parts.length > 0 ? `: ${parts.slice(0, 10).join(', ')}${parts.length > 10 ? `, +${parts.length - 10} more` : ''}` : ''}`;
}

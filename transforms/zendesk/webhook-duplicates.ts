// The one-copy option (`dropAuditDuplicates` on the ocsf/ecs transforms): a change Zendesk
// reports twice, by webhook within seconds and in the audit log minutes later, is shipped once.
// The webhook copy is kept (it is the fresh one, and it has already been acknowledged to Zendesk
// once durable); the audit-log record of the same change is dropped when it arrives.
//
// Only changes whose two shapes the documented payloads tie together are matched (see
// docs/webhooks.md): the webhook's subject user id is the audit record's `source_id` with
// `source_type: user`, and the change is one of
//   user.role_changed  <-> action update, one line "Role changed from <A> to <B>" (same new role)
//   user.created       <-> action create
//   user.deleted       <-> action destroy
// and the two times are within `toleranceMs`. Anything else is never dropped: a duplicate is
// better than a loss. Each webhook sighting drops at most one audit record.
//
// Memory is bounded twice: sightings older than `windowMs` (event time, behind the newest
// webhook seen) are forgotten, and at most `maxSightings` sightings are kept (oldest forgotten first).
// The memory is per transform and per process: after a restart both copies are shipped.

import type { AuditLog } from './audit-log.js';
import type { ParsedChange } from '../enrich/patterns.js';
import type { WebhookEvent } from './webhook.js';

export interface WebhookDuplicatesOptions {
  /** How long (event time) a webhook waits for its audit-log twin. */
  windowMs: number;
  /** Largest time difference between the two copies of one change. */
  toleranceMs: number;
  /** Sightings kept at most. */
  maxSightings: number;
}

/** A role as both streams write it: "admin" (webhook) and "Administrator" (audit log) are one role. */
function roleKey(role: unknown): string | undefined {
  if (typeof role !== 'string') return undefined;
  const k = role.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (k === '') return undefined;
  return k === 'admin' ? 'administrator' : k;
}

/** The correlation key of a webhook, or undefined for a type that has no certain audit-log twin. */
export function webhookChangeKey(account: string, w: WebhookEvent): string | undefined {
  if (w.family !== 'user' || !w.subjectId) return undefined;
  const user = `${account}\u0000${w.subjectId}`;
  switch (w.name) {
    case 'role_changed': {
      const role = roleKey(w.event.current);
      return role ? `${user}\u0000role\u0000${role}` : undefined;
    }
    case 'created':
      return `${user}\u0000created`;
    case 'deleted':
      return `${user}\u0000deleted`;
    default:
      return undefined;
  }
}

/** The correlation key of an audit-log record, or undefined when it is not one of the matched changes. */
export function auditChangeKey(account: string, a: AuditLog, changes: readonly ParsedChange[]): string | undefined {
  if (a.sourceType !== 'user' || !a.sourceId) return undefined;
  const user = `${account}\u0000${a.sourceId}`;
  if (a.action === 'create') return `${user}\u0000created`;
  if (a.action === 'destroy') return `${user}\u0000deleted`;
  // One system-role line only: a record that also changes product roles says more than the webhook.
  if (a.action === 'update' && changes.length === 1 && changes[0]!.pattern === 'role_change' && changes[0]!.field === 'role' && !/\n/.test(a.changeDescription.trim())) {
    const role = roleKey(changes[0]!.after);
    return role ? `${user}\u0000role\u0000${role}` : undefined;
  }
  return undefined;
}

export class WebhookDuplicates {
  /** key -> event times of webhook sightings not yet matched, oldest first. */
  private readonly seen = new Map<string, number[]>();
  private size = 0;
  private newest = -Infinity;

  constructor(private readonly opts: WebhookDuplicatesOptions) {}

  /** Number of sightings kept (for tests and the docs' memory bound). */
  get sightings(): number {
    return this.size;
  }

  rememberWebhook(key: string, time: number): void {
    this.newest = Math.max(this.newest, time);
    const times = this.seen.get(key);
    if (times) {
      times.push(time);
      // Re-insert so that Map order stays "least recently seen first" for eviction.
      this.seen.delete(key);
      this.seen.set(key, times);
    } else {
      this.seen.set(key, [time]);
    }
    this.size++;
    this.forget();
  }

  /** true when a webhook of the same change within the tolerance was seen: that sighting is used up. */
  takeAuditDuplicate(key: string, time: number): boolean {
    const times = this.seen.get(key);
    if (!times) return false;
    const i = times.findIndex((t) => Math.abs(t - time) <= this.opts.toleranceMs);
    if (i < 0) return false;
    times.splice(i, 1);
    this.size--;
    if (times.length === 0) this.seen.delete(key);
    return true;
  }

  private forget(): void {
    const horizon = this.newest - this.opts.windowMs;
    for (const [key, times] of this.seen) {
      if (this.size <= this.opts.maxSightings && times[times.length - 1]! >= horizon) break;
      // The oldest key first: drop its expired sightings, or all of it when over the bound.
      const keep = this.size > this.opts.maxSightings ? [] : times.filter((t) => t >= horizon);
      this.size -= times.length - keep.length;
      if (keep.length === 0) this.seen.delete(key);
      else this.seen.set(key, keep);
    }
  }
}

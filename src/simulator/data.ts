// Seeded dataset generation for the three streams. Timestamps are second precision and
// deliberately bursty: records come in clusters that share a second (bulk edits, trigger runs,
// an agent's page load), so page boundaries routinely fall inside a second.

import { childRng, chance, int, pick, weighted, type Rng } from './prng.js';
import { SYSTEM_ACTOR, isoSec, toSec } from './time.js';
import { deletionFactory, generateDeletions, type DeletedTicketList, type DeletionFactory } from './deleted-tickets.js';
import { SortedStream, type Entry } from './store.js';
import type { AccessLogRecord, AuditLogRecord, StreamName, TicketChildEvent, TicketEventRecord, Via } from './types.js';
import { ulid } from './ulid.js';
import * as V from './vocab.js';

export interface DataOptions {
  /** Number of account audit log records (default 2000). */
  auditLogs?: number;
  /** Number of incremental ticket events (default 1500). */
  ticketEvents?: number;
  /** Number of access log records (default 3000). */
  accessLogs?: number;
  /**
   * Start of the generated time range: epoch ms, ISO string or Date (default: endTime - 7 days).
   * Access logs older than 90 days (on the simulator's clock) exist in records() but are not served.
   */
  startTime?: number | string | Date;
  /** End of the generated time range (default: now - 2 minutes, so ticket events are all exportable). */
  endTime?: number | string | Date;
  /** Account subdomain used in generated URLs (default "zsf-demo"). */
  subdomain?: string;
  /**
   * Size of one giant same-second burst of ticket events (a bulk update through the API), so an
   * incremental page has to exceed 1000 to avoid splitting a second. Default: 1150 when there are
   * at least 2500 ticket events, otherwise 0 (none).
   */
  ticketEventBurst?: number;
  /** Number of soft-deleted tickets listed by /api/v2/deleted_tickets (default 40), within the last 30 days of the range. */
  deletedTickets?: number;
}

// Re-exported: the time helpers live in time.ts so deleted-tickets.ts can use them without an import cycle.
export { SYSTEM_ACTOR, isoSec, toSec };

/**
 * Sorted second-precision timestamps for `count` records in [startSec, endSec], in clusters:
 * most records stand alone, some come in small groups, a few in bursts of hundreds.
 * Returns the cluster sizes too so generators can share context within a burst.
 */
export function burstyTimeline(rng: Rng, count: number, startSec: number, endSec: number, giantBurst = 0): { secs: number[]; clusters: number[] } {
  const sizes: number[] = [];
  let total = 0;
  if (giantBurst > 0 && count > 0) {
    sizes.push(Math.min(giantBurst, count));
    total = sizes[0] as number;
  }
  while (total < count) {
    const r = rng();
    let s: number;
    if (r < 0.6) s = 1;
    else if (r < 0.85) s = int(rng, 2, 4);
    else if (r < 0.97) s = int(rng, 5, 30);
    else if (r < 0.995) s = int(rng, 31, 150);
    else s = int(rng, 151, 400);
    s = Math.min(s, count - total);
    sizes.push(s);
    total += s;
  }
  const span = Math.max(0, endSec - startSec);
  const starts = sizes.map(() => startSec + Math.floor(rng() * (span + 1)));
  // The giant burst goes in the middle of the range, not wherever it falls.
  if (giantBurst > 0 && count > 0) starts[0] = startSec + Math.floor(span / 2);
  const order = sizes.map((_, i) => i).sort((a, b) => (starts[a] as number) - (starts[b] as number) || a - b);
  const secs: number[] = new Array<number>(count);
  const clusters: number[] = [];
  let n = 0;
  for (const i of order) {
    const size = sizes[i] as number;
    clusters.push(size);
    for (let j = 0; j < size; j++) secs[n++] = starts[i] as number;
  }
  return { secs, clusters };
}

function ipv4(rng: Rng): string {
  const first = pick(rng, [203, 198, 81, 88, 185, 49, 101, 213, 62, 94, 145, 37]);
  return `${first}.${int(rng, 0, 255)}.${int(rng, 0, 255)}.${int(rng, 1, 254)}`;
}

function ipv6(rng: Rng): string {
  const h = () => int(rng, 0, 0xffff).toString(16);
  return chance(rng, 0.5) ? `2001:db8:${h()}:${h()}::${h()}` : `2a02:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}`;
}

function anyIp(rng: Rng): string {
  return chance(rng, 0.3) ? ipv6(rng) : ipv4(rng);
}

function slug(name: string, i: number): string {
  const s = name.normalize('NFKD').replace(/[^A-Za-z]+/g, '.').replace(/^\.+|\.+$/g, '').toLowerCase();
  return `${s || 'agent'}.${i}`;
}

function makePeople(rng: Rng): V.Person[] {
  return V.PERSON_NAMES.map((name, i) => ({
    id: 381200000000 + i * 7919 + int(rng, 0, 7000),
    name,
    email: `${slug(name, i)}@example.com`,
    role: i % 6 === 0 ? ('admin' as const) : ('agent' as const),
    ips: [anyIp(rng), anyIp(rng)],
  }));
}

const ACTION_LABELS: Record<AuditLogRecord['action'], string> = {
  create: 'Created',
  destroy: 'Deleted',
  exported: 'Exported',
  login: 'Signed in',
  update: 'Updated',
};

const AUDIT_SCENARIOS = [
  [25, 'login'],
  [4, 'login_failed'],
  [10, 'role'],
  [3, 'suspend'],
  [5, 'user_other'],
  [5, 'account_setting'],
  [3, 'apitoken'],
  [12, 'rule'],
  [3, 'ticket'],
  [2, 'exported'],
  [10, 'other'],
] as const;
const CHANGE_ACTIONS = [
  [6, 'update'],
  [2, 'create'],
  [1, 'destroy'],
] as const;
const STATUSES_OK = [
  [90, 200],
  [3, 304],
  [2, 403],
  [3, 404],
  [1, 429],
  [1, 500],
] as const;
const DELETE_STATUSES = [
  [90, 204],
  [3, 403],
  [3, 404],
  [1, 500],
] as const;
const OTHER_KINDS = ['organization', 'group', 'brand', 'ticket_field', 'user_field', 'zendesk/app_market/app'] as const;
const FAILED_REASONS = ['Invalid email or password', 'Account suspended', 'Two-factor authentication code invalid'] as const;
const TRIGGERS_AND_AUTOMATIONS = V.RULES.filter((r) => r.kind === 'Trigger' || r.kind === 'Automation');
const MACROS = V.RULES.filter((r) => r.kind === 'Macro');

/** Generates records for one stream at a time; ids keep increasing across initial data and appends. */
export class RecordFactory {
  readonly people: V.Person[];
  private readonly rng: { audit: Rng; events: Rng; access: Rng };
  private nextAuditId = 27_000_000_000_000;
  private nextEventId = 45_000_000_000_000;
  private nextTicket = 1;
  private readonly tickets: { id: number; status: string; priority: string; assignee: number; group: string; followers: string[] }[] = [];

  constructor(
    readonly seed: number,
    readonly subdomain: string,
    readonly baseUrl: string,
  ) {
    this.people = makePeople(childRng(seed, 'people'));
    this.rng = { audit: childRng(seed, 'audit_logs'), events: childRng(seed, 'ticket_events'), access: childRng(seed, 'access_logs') };
  }

  // ---- audit logs -------------------------------------------------------------------------

  private audit(
    sec: number,
    actor: V.Person | null,
    ip: string | null,
    action: AuditLogRecord['action'],
    desc: string,
    sourceId: number,
    sourceLabel: string,
    sourceType: string,
  ): AuditLogRecord {
    this.nextAuditId += int(this.rng.audit, 1, 40);
    const id = this.nextAuditId;
    // Field order as in the documented example (alphabetical). System actions have no IP.
    return {
      action,
      action_label: ACTION_LABELS[action],
      actor_id: actor ? actor.id : SYSTEM_ACTOR.id,
      actor_name: actor ? actor.name : SYSTEM_ACTOR.name,
      change_description: desc,
      created_at: isoSec(sec),
      id,
      ip_address: actor ? ip : null,
      source_id: sourceId,
      source_label: sourceLabel,
      source_type: sourceType,
      url: `${this.baseUrl}/api/v2/audit_logs/${id}.json`,
    };
  }

  private auditRecord(rng: Rng, sec: number, actor: V.Person | null, ip: string | null, scenario: string): AuditLogRecord {
    const sub = this.subdomain;
    const whoId = actor ? actor.id : SYSTEM_ACTOR.id;
    const whoName = actor ? actor.name : SYSTEM_ACTOR.name;
    const person = pick(rng, this.people);
    switch (scenario) {
      case 'login': {
        const method = pick(rng, V.SIGN_IN_METHODS);
        const desc = chance(rng, 0.2)
          ? 'Signed in'
          : method === 'Zendesk'
            ? `Successful sign-in using Zendesk from https://${sub}.zendesk.com/auth/v2/login/signin`
            : method === 'SAML'
              ? `Successful sign-in using SAML from https://idp.example.com/saml2/sso?SAMLRequest=${int(rng, 100000, 999999)}`
              : `Successful sign-in using ${method} from https://${sub}.zendesk.com/access/${method.toLowerCase()}`;
        return this.audit(sec, actor, ip, 'login', desc, whoId, whoName, 'user');
      }
      case 'login_failed':
        return this.audit(
          sec,
          actor,
          ip,
          'login',
          `Failed sign-in using ${chance(rng, 0.7) ? 'Zendesk' : 'Google'} from https://${sub}.zendesk.com/auth/v2/login/signin: ${pick(rng, FAILED_REASONS)}`,
          whoId,
          whoName,
          'user',
        );
      case 'role': {
        const from = pick(rng, V.ROLES);
        let to = pick(rng, V.ROLES);
        if (to === from) to = from === 'Administrator' ? 'Agent' : 'Administrator';
        return this.audit(sec, actor, ip, 'update', `Role changed from ${from} to ${to}`, person.id, person.name, 'user');
      }
      case 'suspend':
        return this.audit(
          sec,
          actor,
          ip,
          'update',
          chance(rng, 0.7) ? 'Suspended changed from No to Yes' : 'Suspended changed from Yes to No',
          400000000000 + int(rng, 0, 99999999),
          chance(rng, 0.5) ? person.name : `spam-${int(rng, 100, 999)}@mailinator.example`,
          'user',
        );
      case 'user_other': {
        const r = int(rng, 0, 5);
        const desc =
          r === 0
            ? `Email changed from ${person.email} to ${person.email.replace('@example.com', '@example.org')}`
            : r === 1
              ? 'Password changed'
              : r === 2
                ? 'Two-factor authentication enabled'
                : r === 3
                  ? 'Two-factor authentication reset'
                  : r === 4
                    ? `Name changed from ${pick(rng, V.PERSON_NAMES)} to ${person.name}`
                    : `Groups changed from ${pick(rng, V.GROUPS)} to ${pick(rng, V.GROUPS)}, ${pick(rng, V.GROUPS)}`;
        return this.audit(sec, actor, ip, 'update', desc, person.id, person.name, 'user');
      }
      case 'account_setting': {
        const st = pick(rng, V.ACCOUNT_SETTINGS);
        const flip = chance(rng, 0.3);
        return this.audit(sec, actor, ip, 'update', `${st.label} changed from ${flip ? st.to : st.from} to ${flip ? st.from : st.to}`, int(rng, 1, 60), st.label, 'account_setting');
      }
      case 'apitoken': {
        const create = chance(rng, 0.6);
        return this.audit(sec, actor, ip, create ? 'create' : 'destroy', create ? 'API token created' : 'API token deleted', int(rng, 10, 9999), pick(rng, V.API_TOKEN_LABELS), 'apitoken');
      }
      case 'rule': {
        const r = pick(rng, V.RULES);
        const action = weighted(rng, CHANGE_ACTIONS);
        let desc: string;
        if (action === 'create') desc = `${r.kind} created`;
        else if (action === 'destroy') desc = `${r.kind} deleted`;
        else if (chance(rng, 0.08)) desc = V.longConditions(int(rng, 20, 80));
        else {
          const k = int(rng, 0, 3);
          desc =
            k === 0
              ? 'Active changed from true to false'
              : k === 1
                ? 'Active changed from false to true'
                : k === 2
                  ? `Title changed from ${r.title} (old) to ${r.title}`
                  : `Position changed from ${int(rng, 1, 40)} to ${int(rng, 1, 40)}`;
        }
        return this.audit(sec, actor, ip, action, desc, 360000000000 + int(rng, 0, 9999999), r.title, 'rule');
      }
      case 'ticket':
        return this.audit(
          sec,
          actor,
          ip,
          'destroy',
          chance(rng, 0.5) ? 'Ticket deleted' : 'Ticket permanently deleted',
          int(rng, 1, 90000),
          `#${int(rng, 1, 90000)} ${pick(rng, V.TICKET_SUBJECTS)}`,
          'ticket',
        );
      case 'exported':
        return this.audit(sec, actor, ip, 'exported', pick(rng, V.EXPORTS), int(rng, 1, 500), 'Data export', 'account');
      default: {
        const kind = pick(rng, OTHER_KINDS);
        const label =
          kind === 'organization'
            ? pick(rng, V.ORGANIZATIONS)
            : kind === 'group'
              ? pick(rng, V.GROUPS)
              : kind === 'brand'
                ? pick(rng, V.BRANDS)
                : kind === 'ticket_field'
                  ? pick(rng, V.TICKET_FIELDS)
                  : kind === 'user_field'
                    ? pick(rng, V.USER_FIELDS)
                    : pick(rng, V.APPS);
        const action = weighted(rng, CHANGE_ACTIONS);
        const desc =
          kind === 'zendesk/app_market/app'
            ? action === 'create'
              ? 'Installed'
              : action === 'destroy'
                ? 'Uninstalled'
                : 'App settings changed'
            : action === 'create'
              ? 'Created'
              : action === 'destroy'
                ? 'Deleted'
                : kind === 'organization'
                  ? 'Domains changed from "acme.example" to "acme.example, acme.co.uk"'
                  : kind === 'brand'
                    ? `Host mapping changed from "" to "help.${label.toLowerCase().replace(/\W+/g, '')}.example"`
                    : `Title changed from ${label} (draft) to ${label}`;
        return this.audit(sec, actor, ip, action, desc, 360000000000 + int(rng, 0, 9999999), label, kind);
      }
    }
  }

  /** One cluster of audit records sharing a second (and an actor, unless it is a sign-in wave). */
  auditCluster(sec: number, size: number): AuditLogRecord[] {
    const rng = this.rng.audit;
    const scenario = weighted(rng, AUDIT_SCENARIOS);
    const system = scenario === 'suspend' || scenario === 'rule' ? chance(rng, 0.25) : false;
    let actor: V.Person | null = system ? null : pick(rng, this.people);
    let ip = actor ? (chance(rng, 0.85) ? pick(rng, actor.ips) : anyIp(rng)) : null;
    const out: AuditLogRecord[] = [];
    for (let i = 0; i < size; i++) {
      if (i > 0 && (scenario === 'login' || scenario === 'login_failed')) {
        actor = pick(rng, this.people);
        ip = pick(rng, actor.ips);
      }
      out.push(this.auditRecord(rng, sec, actor, ip, scenario));
    }
    return out;
  }

  // ---- ticket events ----------------------------------------------------------------------

  private via(rng: Rng, channel: string, rule?: { id: number; title: string; rel: string }): Via {
    if (rule) return { channel: 'rule', source: { from: { id: rule.id, title: rule.title }, to: {}, rel: rule.rel } };
    if (channel === 'email') {
      const p = pick(rng, this.people);
      return { channel, source: { from: { address: p.email, name: p.name }, to: { address: `support@${this.subdomain}.zendesk.com`, name: 'Support' }, rel: null } };
    }
    return { channel, source: { from: {}, to: {}, rel: null } };
  }

  /** One cluster of ticket events in the same second: a trigger/automation run, an API bulk update, or agent work. */
  ticketEventCluster(sec: number, size: number): TicketEventRecord[] {
    const rng = this.rng.events;
    const kind = size > 20 ? weighted(rng, [[3, 'rule'], [2, 'api']] as const) : weighted(rng, [[6, 'agent'], [2, 'rule'], [1, 'api'], [1, 'email']] as const);
    const rule =
      kind === 'rule'
        ? { id: 360000000000 + int(rng, 0, 99999), title: pick(rng, TRIGGERS_AND_AUTOMATIONS).title, rel: chance(rng, 0.6) ? 'trigger' : 'automation' }
        : undefined;
    const actor = pick(rng, this.people);
    const out: TicketEventRecord[] = [];
    for (let i = 0; i < size; i++) out.push(this.ticketEvent(rng, sec, kind, actor, rule));
    return out;
  }

  private ticketEvent(rng: Rng, sec: number, kind: string, actor: V.Person, rule?: { id: number; title: string; rel: string }): TicketEventRecord {
    this.nextEventId += int(rng, 20, 60);
    const id = this.nextEventId;
    const createdAt = isoSec(sec);
    const channel = kind === 'agent' ? pick(rng, ['web', 'web', 'mobile', 'api']) : kind;
    const via = this.via(rng, channel, rule);
    const updater = kind === 'rule' ? -1 : kind === 'email' ? 400000000000 + int(rng, 0, 999999) : actor.id;
    const loc = pick(rng, V.LOCATIONS);
    const system: TicketEventRecord['system'] =
      kind === 'rule'
        ? { client: null, ip_address: null, location: null, latitude: null, longitude: null }
        : { client: pick(rng, V.USER_AGENTS), ip_address: kind === 'email' ? null : pick(rng, actor.ips), location: loc.location, latitude: loc.latitude, longitude: loc.longitude };
    let childId = id;
    const cid = () => (childId += 1);
    const children: TicketChildEvent[] = [];
    const comment = (body: string, isPublic: boolean, attach = false): TicketChildEvent => {
      const c: TicketChildEvent = {
        id: cid(),
        via,
        via_reference_id: null,
        type: 'Comment',
        author_id: updater,
        body,
        html_body: `<div class="zd-comment" dir="auto"><p dir="auto">${body.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</p></div>`,
        public: isPublic,
        attachments: attach ? [{ id: 500000000000 + int(rng, 0, 999999), file_name: pick(rng, ['screenshot.png', 'Rechnung März.pdf', 'log (1).txt']), content_type: 'application/octet-stream', size: int(rng, 120, 4_000_000) }] : [],
        audit_id: id,
        created_at: createdAt,
        event_type: 'Comment',
      };
      return c;
    };
    const change = (field: string, value: unknown, previous: unknown): TicketChildEvent => ({ id: cid(), field_name: field, value, previous_value: previous, event_type: 'Change' });
    let merged: number[] = [];

    const isNew = this.tickets.length === 0 || chance(rng, 0.22);
    let ticketId: number;
    if (isNew) {
      const t = { id: this.nextTicket++, status: 'new', priority: pick(rng, V.PRIORITIES), assignee: 0, group: pick(rng, V.GROUPS), followers: [] as string[] };
      this.tickets.push(t);
      ticketId = t.id;
      const subject = pick(rng, V.TICKET_SUBJECTS);
      for (const [f, v] of [
        ['subject', subject],
        ['status', 'new'],
        ['priority', t.priority],
        ['requester_id', 400000000000 + int(rng, 0, 999999)],
        ['group_id', 20000000000 + V.GROUPS.indexOf(t.group)],
        ['tags', [pick(rng, V.TAGS), pick(rng, V.TAGS)]],
      ] as const)
        children.push({ id: cid(), field_name: f, value: v, event_type: 'Create' });
      children.push(comment(chance(rng, 0.05) ? pick(rng, V.COMMENT_BODIES).repeat(int(rng, 60, 160)) : pick(rng, V.COMMENT_BODIES), true, chance(rng, 0.15)));
      children.push({ id: cid(), subject: `[${this.subdomain}] Re: ${subject}`, body: `Your request (${t.id}) has been received and is being reviewed by our support staff.`, recipients: [400000000000 + int(rng, 0, 999999)], via: this.via(rng, 'rule', { id: 360000001, title: 'Notify requester and CCs of received request', rel: 'trigger' }), event_type: 'Notification' });
    } else {
      const t = pick(rng, this.tickets);
      ticketId = t.id;
      const what = kind === 'rule' ? weighted(rng, [[5, 'status'], [2, 'notify'], [1, 'tags']] as const) : weighted(rng, [
        [8, 'reply'],
        [4, 'note'],
        [2, 'assign'],
        [1, 'merge'],
        [1, 'cc'],
        [1, 'followers'],
        [1, 'csat'],
        [1, 'sharing'],
        [1, 'redact'],
        [1, 'macro'],
      ] as const);
      const next = (s: string) => ({ new: 'open', open: 'pending', pending: 'solved', hold: 'open', solved: 'closed', closed: 'closed' })[s as 'new'] ?? 'open';
      switch (what) {
        case 'reply': {
          children.push(comment(pick(rng, V.COMMENT_BODIES), true, chance(rng, 0.1)));
          const to = chance(rng, 0.5) ? 'pending' : next(t.status);
          if (to !== t.status) children.push(change('status', to, t.status));
          t.status = to;
          children.push({ id: cid(), subject: 'Your ticket has been updated', body: `Ticket #${t.id} has been updated`, recipients: [400000000000 + int(rng, 0, 999999)], via: this.via(rng, 'rule', { id: 360000002, title: 'Notify requester and CCs of comment update', rel: 'trigger' }), event_type: 'Notification' });
          break;
        }
        case 'note':
          children.push(comment(pick(rng, V.COMMENT_BODIES), false));
          children.push(change('custom_status_id', int(rng, 100, 130), 1));
          break;
        case 'assign': {
          const prev = t.assignee || null;
          t.assignee = actor.id;
          children.push(change('assignee_id', String(actor.id), prev === null ? null : String(prev)));
          const g = pick(rng, V.GROUPS);
          if (g !== t.group) children.push(change('group_id', String(20000000000 + V.GROUPS.indexOf(g)), String(20000000000 + V.GROUPS.indexOf(t.group))));
          t.group = g;
          break;
        }
        case 'merge': {
          merged = [int(rng, 1, Math.max(1, this.nextTicket - 1)), int(rng, 1, Math.max(1, this.nextTicket - 1))];
          children.push(comment(`Requests #${merged[0]}, #${merged[1]} were merged into this request.`, false));
          if (t.status === 'new') {
            children.push(change('status', 'open', 'new'));
            t.status = 'open';
          }
          break;
        }
        case 'cc':
          children.push({ id: cid(), recipients: [pick(rng, this.people).id], via, event_type: 'Cc' });
          children.push({ id: cid(), previous_email_ccs: [], current_email_ccs: [pick(rng, this.people).email], event_type: 'EmailCcChange' });
          break;
        case 'followers': {
          const prev = [...t.followers];
          t.followers = [...t.followers, pick(rng, this.people).email].slice(-3);
          children.push({ id: cid(), previous_followers: prev, current_followers: t.followers, event_type: 'FollowerChange' });
          break;
        }
        case 'csat':
          children.push({ id: cid(), score: chance(rng, 0.8) ? 'good' : 'bad', assignee_id: t.assignee || actor.id, body: pick(rng, ['Great support!', 'Slow response 😞', '']), event_type: 'SatisfactionRating' });
          break;
        case 'sharing':
          children.push({ id: cid(), agreement_id: int(rng, 1000, 9999), action: 'shared', event_type: 'TicketSharingEvent' });
          break;
        case 'redact':
          children.push(comment('Redacting sensitive data as requested by the customer.', false));
          children.push(chance(rng, 0.5) ? { id: cid(), comment_id: id - int(rng, 100, 5000), event_type: 'CommentRedactionEvent' } : { id: cid(), attachment_id: 500000000000 + int(rng, 0, 999999), comment_id: id - int(rng, 100, 5000), event_type: 'AttachmentRedactionEvent' });
          break;
        case 'macro': {
          const m = pick(rng, MACROS);
          children.push({ id: cid(), macro_id: String(360000000000 + int(rng, 0, 99999)), macro_title: m.title, macro_deleted: false, event_type: 'AgentMacroReference' });
          children.push(comment('Closing this ticket; see our help center for more.', true));
          children.push(change('status', 'solved', t.status));
          t.status = 'solved';
          break;
        }
        case 'status': {
          const to = next(t.status);
          children.push(change('status', to, t.status));
          t.status = to;
          break;
        }
        case 'notify':
          children.push({ id: cid(), subject: `Reminder: ticket #${t.id} is waiting for your reply`, body: 'We are waiting for your response.', recipients: [400000000000 + int(rng, 0, 999999)], via, event_type: 'Notification' });
          children.push(change('tags', ['pending_reminder_sent'], []));
          break;
        case 'tags':
          children.push(change('tags', [pick(rng, V.TAGS), 'auto_tagged'], [pick(rng, V.TAGS)]));
          break;
      }
      // A comment alone would leave nothing to carry comment_present/comment_public without the sideload.
      if (children.every((c) => c.event_type === 'Comment')) children.push(change('priority', t.priority, t.priority));
    }
    return {
      id,
      ticket_id: ticketId,
      timestamp: sec,
      created_at: createdAt,
      updater_id: updater,
      via,
      system,
      event_type: 'Audit',
      merged_ticket_ids: merged,
      child_events: children,
    };
  }

  // ---- access logs ------------------------------------------------------------------------

  /** One cluster of access events in the same second: an agent's page load or an integration's batch. */
  accessCluster(sec: number, size: number): AccessLogRecord[] {
    const rng = this.rng.access;
    const user = pick(rng, this.people);
    const client = pick(rng, V.USER_AGENTS);
    const browser = client.startsWith('Mozilla/');
    const auth = browser ? weighted(rng, [[8, 'session'], [1, 'basic']] as const) : weighted(rng, [[3, 'basic'], [2, 'bearer'], [1, 'digest']] as const);
    const ip = chance(rng, 0.9) ? pick(rng, user.ips) : anyIp(rng);
    const out: AccessLogRecord[] = [];
    // Milliseconds within the second, ascending, so a cluster's ULIDs come out (almost always) in order.
    const msIn: number[] = [];
    for (let i = 0; i < size; i++) msIn.push(int(rng, 0, 999));
    msIn.sort((a, b) => a - b);
    for (let i = 0; i < size; i++) {
      const ep = pick(rng, V.ACCESS_ENDPOINTS);
      const n = int(rng, 1, 90000);
      const status = weighted(rng, ep.method === 'DELETE' ? DELETE_STATUSES : STATUSES_OK);
      const ms = sec * 1000 + (msIn[i] as number);
      // Built in the documented field order (alphabetical; graphql and referer only when present).
      const rec = {
        authorization_type: auth,
        bytes_sent: status === 204 || status === 304 ? 0 : int(rng, 80, chance(rng, 0.02) ? 5_000_000 : 60_000),
        category: ep.category,
        client,
      } as AccessLogRecord;
      if (ep.graphql) rec.graphql = { operation_name: ep.graphql, operation_type: 'QUERY', query: V.GRAPHQL_QUERY, variables: `{"id":"${n}"}` };
      rec.id = ulid(ms, rng);
      rec.ip_address = ip;
      rec.method = ep.method;
      if (ep.referer && (browser || chance(rng, 0.2))) rec.referer = ep.referer(n);
      rec.status = status;
      rec.summary = ep.summary;
      rec.timestamp = isoSec(sec);
      rec.url = ep.path(n);
      rec.user_id = user.id;
      out.push(rec);
    }
    return out;
  }
}

export function auditEntry(r: AuditLogRecord, sec = toSec(r.created_at)): Entry<AuditLogRecord> {
  return { t: sec, k: r.id, r };
}
export function ticketEventEntry(r: TicketEventRecord): Entry<TicketEventRecord> {
  return { t: r.timestamp, k: r.id, r };
}
export function accessEntry(r: AccessLogRecord, sec = toSec(r.timestamp)): Entry<AccessLogRecord> {
  return { t: sec, k: r.id, r };
}

export interface Dataset {
  seed: number;
  subdomain: string;
  baseUrl: string;
  startSec: number;
  endSec: number;
  factory: RecordFactory;
  audit: SortedStream<AuditLogRecord>;
  ticketEvents: SortedStream<TicketEventRecord>;
  access: SortedStream<AccessLogRecord>;
  deletedTickets: DeletedTicketList;
  deletions: DeletionFactory;
}

/** Builds the three streams. Same seed and options (including times) give byte-identical records. */
export function generateDataset(seed: number, opts: DataOptions & { nowMs: number; baseUrl?: string } ): Dataset {
  const subdomain = opts.subdomain ?? 'zsf-demo';
  const baseUrl = opts.baseUrl ?? `https://${subdomain}.zendesk.com`;
  const endSec = opts.endTime !== undefined ? toSec(opts.endTime) : Math.floor(opts.nowMs / 1000) - 120;
  const startSec = opts.startTime !== undefined ? toSec(opts.startTime) : endSec - 7 * 86400;
  if (startSec > endSec) throw new Error('data.startTime is after data.endTime');
  const factory = new RecordFactory(seed, subdomain, baseUrl);

  const build = <T>(label: string, count: number, giant: number, cluster: (sec: number, size: number) => T[], entry: (r: T, sec: number) => Entry<T>): SortedStream<T> => {
    const { secs, clusters } = burstyTimeline(childRng(seed, `${label}:time`), count, startSec, endSec, giant);
    const entries: Entry<T>[] = [];
    let n = 0;
    for (const size of clusters) {
      const sec = secs[n] as number;
      for (const r of cluster(sec, size)) entries.push(entry(r, sec));
      n += size;
    }
    return new SortedStream(entries);
  };
  const nEvents = opts.ticketEvents ?? 1500;
  const audit = build('audit_logs', opts.auditLogs ?? 2000, 0, (s, n) => factory.auditCluster(s, n), auditEntry);
  const ticketEvents = build('ticket_events', nEvents, opts.ticketEventBurst ?? (nEvents >= 2500 ? 1150 : 0), (s, n) => factory.ticketEventCluster(s, n), ticketEventEntry);
  const accessRaw = build('access_logs', opts.accessLogs ?? 3000, 0, (s, n) => factory.accessCluster(s, n), accessEntry);
  // Within a second, access logs order by their ULID (millisecond + randomness), not by generation order.
  sortWithinSeconds(accessRaw.entries);
  const deletions = deletionFactory(seed, factory.people);
  const deletedTickets = generateDeletions(deletions, opts.deletedTickets ?? 40, startSec, endSec);
  return { seed, subdomain, baseUrl, startSec, endSec, factory, audit, ticketEvents, access: accessRaw, deletedTickets, deletions };
}

/** Entries are in second order already; order each run of equal seconds by key. */
function sortWithinSeconds<T>(entries: Entry<T>[]): void {
  const byKey = (a: Entry<T>, b: Entry<T>) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0);
  let i = 0;
  while (i < entries.length) {
    const t = (entries[i] as Entry<T>).t;
    let j = i + 1;
    let sorted = true;
    while (j < entries.length && (entries[j] as Entry<T>).t === t) {
      if (sorted && byKey(entries[j - 1] as Entry<T>, entries[j] as Entry<T>) > 0) sorted = false;
      j++;
    }
    if (!sorted) {
      const run = entries.slice(i, j).sort(byKey);
      for (let x = 0; x < run.length; x++) entries[i + x] = run[x] as Entry<T>;
    }
    i = j;
  }
}

export type AnyRecord = AuditLogRecord | TicketEventRecord | AccessLogRecord;

/** Generates `count` new records at second `sec` for a stream (one cluster), for live and late appends. */
export function makeRecords(ds: Dataset, stream: StreamName, count: number, sec: number): AnyRecord[] {
  if (stream === 'audit_logs') return ds.factory.auditCluster(sec, count);
  if (stream === 'ticket_events') return ds.factory.ticketEventCluster(sec, count);
  return ds.factory.accessCluster(sec, count);
}

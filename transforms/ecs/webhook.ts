// Zendesk event webhook -> one ECS 9.4.0 document. Categorisation follows the OCSF mapping
// (zendesk/webhook.ts kinds): user accounts and roles are iam/user, memberships iam/group,
// organizations iam/group, tickets api. The envelope and the event's own fields go under
// `zendesk.webhook`.

import type { Enrichment } from '../enrich/index.js';
import { rest, text, withoutNulls, type Raw } from '../zendesk/fields.js';
import { roleName, webhookMessage, type WebhookEvent } from '../zendesk/webhook.js';
import { ecsBase, ecsUser, Related, zendeskEnrichment } from './common.js';

export interface EcsWebhookInput {
  id: string;
  account: string;
  webhook: WebhookEvent;
  enrichment: Enrichment;
  enriched: boolean;
  rawData?: boolean;
}

const VERB: Record<string, string> = { create: 'creation', delete: 'deletion' };

export function ecsWebhookCategorization(w: WebhookEvent): { category: string[]; type: string[] } {
  const verb = VERB[w.verb] ?? 'change';
  if (w.kind === 'membership') return { category: ['iam'], type: ['group', 'change'] };
  if (w.family === 'user') return { category: ['iam'], type: ['user', verb] };
  if (w.family === 'organization') return { category: ['iam'], type: ['group', verb] };
  return { category: ['api'], type: [verb] };
}

const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['type', 'id', 'time']);

export function mapWebhookEcs(i: EcsWebhookInput): Raw {
  const w = i.webhook;
  const { category, type } = ecsWebhookCategorization(w);
  const out = ecsBase({
    id: i.id,
    account: i.account,
    stream: 'webhook',
    time: w.time,
    category,
    type,
    action: `${w.family}.${w.name}`,
    outcome: 'success',
    message: webhookMessage(w),
    enrichment: i.enrichment,
    enriched: i.enriched,
  });
  const related = new Related();
  const user: Raw = ecsUser(w.actorId, undefined) ?? {};
  related.user(w.actorId, undefined);
  if (w.family === 'user') {
    const target = ecsUser(w.subjectId, text(w.detail.email)) ?? {};
    related.user(w.subjectId, text(w.detail.email));
    if (w.kind === 'privileges') {
      const before = roleName(w.event.previous);
      const after = roleName(w.event.current);
      if (before) target.roles = [before];
      if (after) user.changes = { roles: [after] };
    }
    if (Object.keys(target).length > 0) user.target = target;
  }
  if (Object.keys(user).length > 0) out.user = user;
  const rel = related.toEcs();
  if (rel) out.related = rel;
  const webhook = (withoutNulls(rest(w.raw, ENVELOPE_KEYS)) as Raw | undefined) ?? {};
  webhook.type = w.type;
  const zendesk: Raw = { account: i.account, webhook };
  Object.assign(zendesk, zendeskEnrichment(i.enrichment));
  out.zendesk = zendesk;
  if (i.rawData) (out.event as Raw).original = JSON.stringify(w.raw);
  return out;
}

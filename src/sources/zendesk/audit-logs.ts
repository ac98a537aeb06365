// `zendesk_audit_logs`: the account audit log (GET /api/v2/audit_logs, Enterprise plan,
// admins). Read in closed time windows with cursor pagination (page[size]=100, Zendesk's
// default newest-first order) and dedupe by id (see windowed-poller.ts).
//
// The filter form rule: Zendesk is a Rails app, so "give filter[created_at] twice" means the
// array form filter[created_at][]=START&filter[created_at][]=END; the bare key twice is one
// value to Rack and Zendesk answers 400 InvalidValue. Every independent client sends the
// array form (Airbyte's AuditLogs stream, HashiCorp Grove, usp-adapters), and so do we by
// default. A 400 InvalidValue naming filter[created_at] switches to the other form once and
// re-reads the same window; a form Zendesk refused is never used again, and when both are
// refused the source fails with Zendesk's text. filter[action] and filter[source_type] take
// one value each (a string in Zendesk's OpenAPI; a repeated bare key would keep only the
// last), so a list is read as one request series per value (per combination).

import { z } from 'zod';
import { defineSource } from '../../core/plugin.js';
import { duration } from '../../config/units.js';
import type { ZendeskRequestError } from './client.js';
import { zendeskSection } from './account-config.js';
import { accountClient, commonZendeskOptions, isoSeconds, parseTime, startTimeMs, windowOptions } from './common.js';
import { Progress, runWindowedPoller } from './windowed-poller.js';

type CreatedAtForm = 'brackets' | 'repeated';

const ACTIONS = ['create', 'destroy', 'exported', 'login', 'update'] as const;
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]).optional();
const list = <T>(v: T | T[] | undefined): (T | undefined)[] => (v === undefined ? [undefined] : Array.isArray(v) ? [...new Set(v)] : [v]);

/** The first URL of one request series of a window. Exported for the wire tests. */
export function auditLogsUrl(lo: number, hi: number, form: CreatedAtForm, action?: string, sourceType?: string): string {
  const key = form === 'brackets' ? 'filter[created_at][]' : 'filter[created_at]';
  const q = new URLSearchParams();
  q.append(key, isoSeconds(lo));
  q.append(key, isoSeconds(hi));
  if (action) q.set('filter[action]', action);
  if (sourceType) q.set('filter[source_type]', sourceType);
  q.set('page[size]', '100');
  return `/api/v2/audit_logs?${q.toString()}`;
}

export const auditLogsSource = defineSource({
  type: 'zendesk_audit_logs',
  description: 'Zendesk account audit log (Enterprise plan; admin credentials)',
  sections: [zendeskSection],
  options: {
    ...commonZendeskOptions,
    lookback: duration({ min: 1000 }).default(600_000).describe('Re-read this much before the last committed time, for late records (ids are deduped)'),
    settle: duration({ min: 0 }).default(30_000).describe('Never read closer to now than this (records still being written)'),
    initialWindow: duration({ min: 1000 }).default(7 * 86_400_000).describe('Length of the first window while windows are kept whole (several request series, or pages out of order); a window read in order is maxWindow long from the first'),
    maxWindow: duration({ min: 1000 }).default(30 * 86_400_000).describe('Longest window; each window costs one partial page, and the committed time (lag, zsf checkpoints) moves at its end'),
    filter: z
      .strictObject({
        action: oneOrMany(z.enum(ACTIONS)).describe('Only these actions (create, destroy, exported, login, update); a list is read as one request series per value'),
        sourceType: oneOrMany(z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a source_type such as user, rule or apitoken')).describe('Only these source_type values; a list is read as one request series per value'),
      })
      .default({}),
    createdAtParam: z
      .enum(['brackets', 'repeated'])
      .default('brackets')
      .describe("How the two created_at bounds are sent: filter[created_at][]=A&filter[created_at][]=B (Zendesk's form, default) or the bare key twice; a 400 naming filter[created_at] switches once to the form not yet refused"),
  },
  create(config, env) {
    const client = accountClient(config.account, env);
    let form: CreatedAtForm = config.createdAtParam;
    const refused = new Set<CreatedAtForm>();
    const actions = list(config.filter.action);
    const sourceTypes = list(config.filter.sourceType);
    return {
      async run(ctx) {
        const onBadRequest = (err: ZendeskRequestError): boolean => {
          if (!/InvalidValue/.test(err.message) || !err.message.includes('filter[created_at]')) return false;
          refused.add(form);
          const other: CreatedAtForm = form === 'brackets' ? 'repeated' : 'brackets';
          if (refused.has(other)) return false;
          ctx.logger.warn({ refused: form, next: other, error: err.message }, 'Zendesk refused the filter[created_at] form; reading the same window again with the other form');
          form = other;
          return true;
        };
        await runWindowedPoller(
          ctx,
          client,
          {
            stream: 'audit_log',
            listKey: 'audit_logs',
            maxPagesPerWindow: 50,
            order: 'desc',
            timeOf: (r) => parseTime(r.created_at),
            requests: (lo, hi) => actions.flatMap((action) => sourceTypes.map((sourceType) => auditLogsUrl(lo, hi, form, action, sourceType))),
            onBadRequest,
          },
          windowOptions(config, startTimeMs(config.startTime, ctx.now())),
          new Progress(ctx),
        );
      },
    };
  },
});

// `zendesk_audit_logs`: the account audit log (GET /api/v2/audit_logs, Enterprise plan,
// admins). Read in closed time windows with `filter[created_at]` given twice (start, end),
// cursor pagination with page[size]=100, dedupe by id (see windowed-poller.ts).

import { z } from 'zod';
import { defineSource } from '../../core/plugin.js';
import { duration } from '../../config/units.js';
import { accountClient, commonZendeskOptions, isoSeconds, parseTime, startTimeMs, windowOptions } from './common.js';
import { Progress, runWindowedPoller } from './windowed-poller.js';

export const auditLogsSource = defineSource({
  type: 'zendesk_audit_logs',
  description: 'Zendesk account audit log (Enterprise plan; admin credentials)',
  options: {
    ...commonZendeskOptions,
    lookback: duration({ min: 1000 }).default(600_000).describe('Re-read this much before the last committed time, for late records (ids are deduped)'),
    settle: duration({ min: 0 }).default(30_000).describe('Never read closer to now than this (records still being written)'),
    initialWindow: duration({ min: 1000 }).default(3_600_000),
    maxWindow: duration({ min: 1000 }).default(7 * 86_400_000),
    filter: z
      .strictObject({
        action: z.string().optional().describe('Only this action (create, destroy, exported, login, update)'),
        sourceType: z.string().optional().describe('Only this source_type (e.g. user, rule, apitoken)'),
      })
      .default({}),
    createdAtParam: z
      .enum(['repeated', 'brackets'])
      .default('repeated')
      .describe('How to send the two created_at bounds: filter[created_at]=A&filter[created_at]=B (as documented) or filter[created_at][]=A&...; switched automatically if the server ignores the first form'),
  },
  create(config, env) {
    const client = accountClient(config.account, env);
    let style = config.createdAtParam;
    let switched = false;
    return {
      async run(ctx) {
        await runWindowedPoller(
          ctx,
          client,
          {
            stream: 'audit_log',
            listKey: 'audit_logs',
            maxPagesPerWindow: 50,
            timeOf: (r) => parseTime(r.created_at),
            firstUrl: (lo, hi) => {
              const key = style === 'brackets' ? 'filter[created_at][]' : 'filter[created_at]';
              const q = new URLSearchParams();
              q.append(key, isoSeconds(lo));
              q.append(key, isoSeconds(hi));
              if (config.filter.action) q.set('filter[action]', config.filter.action);
              if (config.filter.sourceType) q.set('filter[source_type]', config.filter.sourceType);
              q.set('page[size]', '100');
              return `/api/v2/audit_logs?${q.toString()}`;
            },
            onOutOfWindow: (count) => {
              // Records outside the window mean the server did not apply our time filter.
              // They are skipped either way (each is read in its own window); switch form once.
              if (switched) return;
              switched = true;
              const next = style === 'repeated' ? 'brackets' : 'repeated';
              ctx.logger.warn({ count, from: style, to: next }, 'audit log page had records outside the requested window; switching the filter[created_at] form');
              style = next;
            },
          },
          windowOptions(config, startTimeMs(config.startTime, ctx.now())),
          new Progress(ctx),
        );
      },
    };
  },
});

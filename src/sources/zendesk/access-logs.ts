// `zendesk_access_logs`: what agents and admins read (GET /api/v2/access_logs, ADPP add-on,
// 90-day retention). Time windows with filter[start]/filter[end] (yyyy-mm-ddThh:mm:ssZ),
// cursor pagination up to page[size]=2500, links.next followed verbatim, a checkpoint per
// page (coalesced by the pipeline), a lookback at the live tail for late entries and dedupe by ULID id (see windowed-poller.ts).
// The documented filters that cut noise are exposed: filter[user_id], filter[path] (the REST
// path, no query), filter[browser_url] (the agent's page) and filter[graphql]=true (leave out
// GraphQL requests), per https://developer.zendesk.com/api-reference/ticketing/account-configuration/access_logs/

import { z } from 'zod';
import { defineSource } from '../../core/plugin.js';
import { duration } from '../../config/units.js';
import { zendeskSection } from './account-config.js';
import { accountClient, commonZendeskOptions, isoSeconds, parseTime, startTimeMs, windowOptions } from './common.js';
import { Progress, runWindowedPoller } from './windowed-poller.js';

const RETENTION_MS = 90 * 86_400_000;

export const accessLogsSource = defineSource({
  type: 'zendesk_access_logs',
  description: 'Zendesk access log (ADPP add-on; admin credentials; 90 days retained)',
  sections: [zendeskSection],
  options: {
    ...commonZendeskOptions,
    pageSize: z.number().int().min(1).max(2500).default(1000).describe('page[size]; Zendesk allows up to 2500'),
    lookback: duration({ min: 1000 }).default(300_000).describe('Re-read this much before the last committed time, for late entries (deduped by id)'),
    settle: duration({ min: 0 }).default(30_000),
    initialWindow: duration({ min: 1000 }).default(7 * 86_400_000).describe('Length of the first window while windows are kept whole (several request series, or pages out of order); a window read in order is maxWindow long from the first'),
    maxWindow: duration({ min: 1000 }).default(30 * 86_400_000).describe('Longest window; each window costs one partial page, and the committed time (lag, zsf checkpoints) moves at its end'),
    requestsPerMinute: z.number().int().min(1).max(1000).default(50).describe('Endpoint limit of the Access Logs API'),
    filter: z
      .strictObject({
        userId: z.number().int().positive().optional().describe('filter[user_id]: only this user'),
        path: z
          .string()
          .regex(/^\/[^?#\s]*$/, 'expected a URL path such as /api/v2/users/123.json (no query string)')
          .optional()
          .describe('filter[path]: URL path of the object accessed, without query parameters'),
        browserUrl: z
          .string()
          .regex(/^(https?:\/\/[^\s/]+)?\/[^\s]*$/, 'expected the browser page as a path (/agent/tickets/1) or a URL (https://acme.zendesk.com/agent/tickets/1); the documented examples show both')
          .optional()
          .describe('filter[browser_url]: only requests made from this agent page'),
        excludeGraphql: z.boolean().optional().describe('filter[graphql]=true: leave out GraphQL requests (default false)'),
      })
      .default({}),
  },
  create(config, env) {
    const client = accountClient(config.account, env);
    return {
      async run(ctx) {
        const now = ctx.now();
        let start = startTimeMs(config.startTime, now);
        // Older entries no longer exist; asking for them only wastes the request budget.
        if (start < now - RETENTION_MS + 3_600_000) {
          ctx.logger.warn({ startTime: new Date(start).toISOString() }, 'access logs are kept 90 days; starting at the retention limit');
          start = now - RETENTION_MS + 3_600_000;
        }
        await runWindowedPoller(
          ctx,
          client,
          {
            stream: 'access_log',
            listKey: 'access_logs',
            maxPagesPerWindow: 20,
            endpoint: 'access_logs',
            endpointLimit: config.requestsPerMinute,
            order: 'asc',
            timeOf: (r) => parseTime(r.timestamp),
            requests: (lo, hi) => {
              const q = new URLSearchParams();
              q.set('filter[start]', isoSeconds(lo));
              q.set('filter[end]', isoSeconds(hi));
              if (config.filter.userId !== undefined) q.set('filter[user_id]', String(config.filter.userId));
              if (config.filter.path) q.set('filter[path]', config.filter.path);
              if (config.filter.browserUrl) q.set('filter[browser_url]', config.filter.browserUrl);
              if (config.filter.excludeGraphql) q.set('filter[graphql]', 'true');
              q.set('page[size]', String(config.pageSize));
              return [`/api/v2/access_logs?${q.toString()}`];
            },
          },
          windowOptions(config, start),
          new Progress(ctx),
        );
      },
    };
  },
});

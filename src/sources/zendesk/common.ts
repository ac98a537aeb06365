// Options and wiring shared by the three Zendesk sources.

import { join } from 'node:path';
import { z } from 'zod';
import type { BuildEnv } from '../../core/plugin.js';
import { duration } from '../../config/units.js';
import { describeError, sleep as realSleep } from '../../core/retry.js';
import { zendeskSection, type ZendeskAccountConfig } from './account-config.js';
import { ZendeskClient } from './client.js';
import { FileRateStateStore } from './rate-limiter.js';

export const commonZendeskOptions = {
  account: z.string().describe('Name of an entry in zendesk.accounts'),
  startTime: z.iso.datetime({ error: 'expected an ISO time such as 2026-01-01T00:00:00Z' }).optional().describe('Where a first run starts (backfill). Default: 24 hours ago. Ignored once a checkpoint exists.'),
  pollInterval: duration({ min: 1000 }).default(60_000).describe('Wait between polls once caught up'),
  requestTimeout: duration({ min: 1000 }).default(60_000),
};

/**
 * One client per account per pipeline, shared by that account's streams (and their rate
 * budget). The budget already spent is kept in `dataDir/zendesk/<account>.ratelimit.json`.
 */
export function accountClient(name: string, env: BuildEnv): ZendeskClient {
  const { accounts } = env.section(zendeskSection);
  const index = accounts.findIndex((a) => a.name === name);
  const account = accounts[index];
  if (!account) throw new Error(`unknown Zendesk account "${name}"`);
  return env.shared(`zendesk:${name}`, () => {
    const log = env.logger.child({ account: name });
    return new ZendeskClient(account, { now: Date.now, sleep: realSleep, random: Math.random }, env.metrics, {
      rateState: new FileRateStateStore(join(env.dataDir, 'zendesk', `${name}.ratelimit.json`)),
      rereadAuth: () => rereadAuth(account.auth, `zendesk.accounts[${index}].auth`, env),
      warn: (message, err) => log.warn(err === undefined ? {} : { err: describeError(err) }, message),
    });
  });
}

/** The credentials with every value that came from `${file:...}` read again (a rotated secret). */
function rereadAuth(auth: ZendeskAccountConfig['auth'], path: string, env: BuildEnv): ZendeskAccountConfig['auth'] | undefined {
  if (!env.reread) return undefined;
  if (auth.type === 'token') {
    const token = env.reread(`${path}.token`);
    const email = env.reread(`${path}.email`);
    return token === undefined && email === undefined ? undefined : { ...auth, token: token ?? auth.token, email: email ?? auth.email };
  }
  const accessToken = env.reread(`${path}.accessToken`);
  return accessToken === undefined ? undefined : { ...auth, accessToken };
}

export function startTimeMs(startTime: string | undefined, now: number): number {
  return startTime ? Date.parse(startTime) : now - 24 * 3_600_000;
}

/** `2026-01-01T00:00:00Z`: the second-precision format Zendesk's filters take. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** The windowed sources' timing options, from their config. */
export function windowOptions(
  config: { account: string; lookback: number; settle: number; pollInterval: number; initialWindow: number; maxWindow: number; requestTimeout: number },
  startTime: number,
) {
  return {
    account: config.account,
    startTime,
    lookbackMs: config.lookback,
    settleMs: config.settle,
    pollIntervalMs: config.pollInterval,
    initialWindowMs: config.initialWindow,
    maxWindowMs: config.maxWindow,
    requestTimeoutMs: config.requestTimeout,
  };
}

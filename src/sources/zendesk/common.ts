// Options and wiring shared by the three Zendesk sources.

import { z } from 'zod';
import type { BuildEnv } from '../../core/plugin.js';
import type { Config } from '../../config/schema.js';
import { duration } from '../../config/units.js';
import { sleep as realSleep } from '../../core/retry.js';
import { ZendeskClient } from './client.js';

export const commonZendeskOptions = {
  account: z.string().describe('Name of an entry in zendesk.accounts'),
  startTime: z.iso.datetime({ error: 'expected an ISO time such as 2026-01-01T00:00:00Z' }).optional().describe('Where a first run starts (backfill). Default: 24 hours ago. Ignored once a checkpoint exists.'),
  pollInterval: duration({ min: 1000 }).default(60_000).describe('Wait between polls once caught up'),
  requestTimeout: duration({ min: 1000 }).default(60_000),
};

/** One client per account per pipeline, shared by that account's streams (and their rate budget). */
export function accountClient(name: string, env: BuildEnv): ZendeskClient {
  const config = env.config as Config;
  const account = config.zendesk.accounts.find((a) => a.name === name);
  if (!account) throw new Error(`unknown Zendesk account "${name}"`);
  return env.shared(`zendesk:${name}`, () => new ZendeskClient(account, { now: Date.now, sleep: realSleep, random: Math.random }, env.metrics, { windowMs: testWindowMs() }));
}

/** Tests shrink Zendesk's one-minute rate window together with the simulator's. */
function testWindowMs(): number {
  const v = Number(process.env.ZSF_ZENDESK_RATE_WINDOW_MS);
  return Number.isFinite(v) && v > 0 ? v : 60_000;
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

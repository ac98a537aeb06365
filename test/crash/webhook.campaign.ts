// `npm run test:crash`: 20 SIGKILLs (ZSF_WEBHOOK_KILLS) while signed webhooks are posted;
// every 2xx-acknowledged event must be in the sink afterwards.

import { describe, expect, it } from 'vitest';
import { runWebhookCrashCampaign } from '../sources/webhook/crash-campaign.js';

describe('webhook crash campaign', () => {
  it('loses no acknowledged webhook', async () => {
    const kills = Number(process.env.ZSF_WEBHOOK_KILLS ?? 20);
    const seed = Number(process.env.ZSF_CRASH_SEED ?? 20261130);
    const r = await runWebhookCrashCampaign(kills, seed);
    console.log(`webhook crash campaign: seed ${seed}, ${JSON.stringify({ ...r, lost: r.lost.length })}`);
    expect(r.lost, `seed ${seed}`).toEqual([]);
    expect(r.tornLines).toBe(0);
  });
});

// Killing the process right after a 2xx loses nothing: 3 SIGKILLs while signed webhooks are
// posted (the 20-kill version is `npm run test:crash`, test/crash/webhook.campaign.ts).

import { describe, expect, it } from 'vitest';
import { runWebhookCrashCampaign } from './crash-campaign.js';

describe('zendesk_webhook under SIGKILL', () => {
  it('every acknowledged webhook is in the sink after 3 kills', { timeout: 120_000 }, async () => {
    const r = await runWebhookCrashCampaign(3, 20261130);
    expect(r.lost).toEqual([]);
    expect(r.tornLines).toBe(0);
    expect(r.acknowledged).toBeGreaterThan(10); // the kills happened while requests were being answered
    expect(r.posted).toBeGreaterThan(r.acknowledged - 1);
  });
});

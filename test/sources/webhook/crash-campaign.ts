// SIGKILL the product while signed webhooks are being posted; after the last kill a final
// run drains. Every event that was answered 2xx must be in the sink: a 200 means durable.
// Used by test/sources/webhook/crash.test.ts (3 kills, `npm test`) and
// test/crash/webhook.campaign.ts (20 kills, `npm run test:crash`).

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../support/random.js';
import { spawnWarmChild, type WarmChild } from '../../support/warm-child.js';
import { closeAgents, envelope, post, SECRET } from './harness.js';

export interface CampaignResult {
  kills: number;
  posted: number;
  acknowledged: number;
  lost: string[];
  lines: number;
  tornLines: number;
}

const CHILD = 'test/sources/webhook/crash-child.ts';

function sinkIds(dataDir: string): { ids: Set<string>; lines: number; torn: number } {
  const f = join(dataDir, 'out.ndjson');
  const ids = new Set<string>();
  let lines = 0;
  let torn = 0;
  if (!existsSync(f)) return { ids, lines, torn };
  for (const l of readFileSync(f, 'utf8').split('\n')) {
    if (!l) continue;
    lines++;
    try {
      ids.add(String((JSON.parse(l) as { id: unknown }).id));
    } catch {
      torn++;
    }
  }
  return { ids, lines, torn };
}

export async function runWebhookCrashCampaign(kills: number, seed: number): Promise<CampaignResult> {
  const rnd = mulberry32(seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'zsf-webhook-crash-'));
  const secretFile = join(dataDir, 'secret');
  writeFileSync(secretFile, SECRET + '\n', { mode: 0o600 });
  const acknowledged = new Set<string>();
  let posted = 0;
  let next = 0;
  const spawn = () => spawnWarmChild(CHILD, [dataDir, secretFile]);
  let child: WarmChild = spawn();

  for (let round = 0; round <= kills; round++) {
    await child.ready;
    child.go();
    await child.started;
    const m = /started (http:\/\/\S+)/.exec(child.out());
    if (!m) throw new Error(`child did not start: ${child.out()}`);
    const url = m[1]!;
    const following = round < kills ? spawn() : undefined; // loads while this one runs
    const final = round === kills;
    // Posters: 4 concurrent senders until the kill (or, in the final round, a fixed number).
    const killAt = Date.now() + 100 + Math.floor(rnd() * 400);
    let stop = false;
    // Until the kill; in the final round one request each, to show the restarted instance serves.
    const sender = async () => {
      do {
        const id = `77777777-0000-4000-8000-${String(next++).padStart(12, '0')}`;
        posted++;
        try {
          const r = await post(url, envelope(id, 'zen:event-type:user.role_changed', new Date().toISOString()));
          if (r.status === 200) acknowledged.add(id);
        } catch {
          // killed mid-request: not acknowledged, so nothing is owed
        }
      } while (!stop && !final);
    };
    const senders = Array.from({ length: 4 }, sender);
    if (!final) {
      await new Promise((r) => setTimeout(r, Math.max(0, killAt - Date.now())));
      child.kill();
      stop = true;
      await child.exit;
      await Promise.all(senders);
      child = following!;
    } else {
      await Promise.all(senders);
      // Drain: every acknowledged id must reach the file (the disk buffer replays after each kill).
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && [...acknowledged].some((id) => !sinkIds(dataDir).ids.has(id))) await new Promise((r) => setTimeout(r, 50));
      child.kill();
      await child.exit;
    }
  }
  await closeAgents();
  const out = sinkIds(dataDir);
  return { kills, posted, acknowledged: acknowledged.size, lost: [...acknowledged].filter((id) => !out.ids.has(id)), lines: out.lines, tornLines: out.torn };
}

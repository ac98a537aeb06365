// The simulator's webhook sender and `zsf webhook-test` against a real listener: signed
// samples are accepted; the bad fractions are refused with their reasons.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startWebhookSender } from '../../../src/simulator/webhook-sender.js';
import { probe, settle, tempDir } from '../../support/probe.js';
import { SECRET, startWebhookRun } from './harness.js';

describe('webhook sender (zsf simulate --webhook-url) and zsf webhook-test', () => {
  it('sends a seeded mix; good ones are accepted and mapped, bad signatures, stale timestamps and oversized bodies are refused', async () => {
    const p = probe('wh-sender');
    const run = await startWebhookRun({ rateLimit: { perSecond: 1000, burst: 1000 } }, [{ id: 'out', type: 'probe', probe: 'wh-sender', inputs: ['ocsf'], buffer: { type: 'disk' } }], {
      transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['hooks'] }],
    });
    const sender = startWebhookSender({ url: `${run.url}/zendesk/acme`, secret: SECRET, ratePerSecond: 200, seed: 7, badSignature: 0.2, stale: 0.2, oversized: 0.1, count: 60 });
    await sender.done;
    const total = () => Object.values(sender.counts).reduce((a, b) => a + b, 0);
    while (total() < 60) await settle(5);
    expect(sender.counts['200']).toBeGreaterThan(10);
    expect(sender.counts['401']).toBeGreaterThan(5);
    expect(sender.counts['413']).toBeGreaterThan(0);
    expect(sender.counts.error).toBeUndefined();
    while (p.accepted.length < sender.counts['200']!) await settle(5);
    const rejected = Object.fromEntries((await run.pipeline.metrics.webhookRejected.get()).values.map((v) => [String(v.labels.reason), v.value]));
    expect(rejected.bad_signature! + rejected.stale_timestamp!).toBe(sender.counts['401']);
    expect(rejected.too_large).toBe(sender.counts['413']);

    // zsf webhook-test: one signed sample, exit 0 on 2xx.
    const before = p.accepted.length; // before the send: the 200 comes before the child exits
    const dir = tempDir();
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, `${SECRET}\n`);
    const cli = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'webhook-test', '--url', `${run.url}/zendesk/acme`, '--secret-file', secretFile, '--type', 'user.suspended_changed'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => cli.on('exit', r));
    expect(out).toMatch(/^200 \{"id":"/);
    expect(code).toBe(0);
    while (p.accepted.length < before + 1) await settle(5);
    expect(p.accepted.at(-1)!.body).toMatchObject({ metadata: { event_code: 'user.suspended_changed', labels: ['risk:user_suspension_changed'] } });
    await run.pipeline.stop();
  }, 60_000);
});

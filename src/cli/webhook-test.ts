// `zsf webhook-test --url … --secret-file …`: sends one signed sample event to a running
// zendesk_webhook source and prints the answer (exit 0 on 2xx), to check a deployment end to end.

import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { mulberry32 } from '../simulator/prng.js';
import { sendWebhook, webhookSample, WEBHOOK_SAMPLE_TYPES } from '../simulator/webhook-sender.js';

export function registerWebhookTestCommand(program: Command): void {
  program
    .command('webhook-test')
    .description('send one signed sample Zendesk event webhook to a running zendesk_webhook source')
    .requiredOption('--url <url>', 'the endpoint URL, e.g. https://zsf.example.com/zendesk/acme')
    .requiredOption('--secret-file <path>', "file holding the webhook's signing secret")
    .option('--type <type>', `event type without the zen:event-type: prefix (${WEBHOOK_SAMPLE_TYPES.join(', ')})`, 'user.role_changed')
    .action(async (o: { url: string; secretFile: string; type: string }) => {
      if (!(WEBHOOK_SAMPLE_TYPES as readonly string[]).includes(o.type)) throw new InvalidArgumentError(`--type must be one of ${WEBHOOK_SAMPLE_TYPES.join(', ')}`);
      const secret = readFileSync(o.secretFile, 'utf8').replace(/\r?\n$/, '');
      const sample = webhookSample(mulberry32(Date.now() >>> 0), o.type);
      const r = await sendWebhook(o.url, secret, JSON.stringify(sample));
      console.log(`${r.status} ${r.body}`);
      console.log(`event id ${String(sample.id)} (${String(sample.type)})`);
      process.exitCode = r.status >= 200 && r.status < 300 ? 0 : 1;
    });
}

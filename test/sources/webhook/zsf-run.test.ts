// `zsf run` as a child process with a YAML config (secret from ${file:…}): a signed webhook is
// answered 200 and reaches the HEC receiver mapped to OCSF; SIGTERM stops it cleanly.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHecReceiver } from '../../receivers/hec.js';
import { tempDir } from '../../support/probe.js';
import { closeAgents, envelope, post, SECRET } from './harness.js';

describe('zsf run with a zendesk_webhook source', () => {
  it('answers a signed webhook 200 and delivers it to Splunk HEC', { timeout: 90_000 }, async () => {
    const hec = await startHecReceiver({ tokens: ['hec-token-2'] });
    const dir = tempDir('zsf-webhook-run-');
    writeFileSync(join(dir, 'webhook-secret'), `${SECRET}\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'zsf.yaml'),
      [
        `dataDir: ${join(dir, 'data')}`,
        'api: { enabled: false }',
        'sources:',
        '  - id: hooks',
        '    type: zendesk_webhook',
        '    listen: 127.0.0.1:0',
        '    endpoints: [{ path: /zendesk/acme, secret: "${file:webhook-secret}", account: acme }]',
        'transforms: [{ id: ocsf, type: ocsf, inputs: [hooks] }]',
        'sinks:',
        `  - { id: splunk, type: splunk_hec, inputs: [ocsf], endpoint: "${hec.url}", token: hec-token-2, healthcheck: { enabled: false }, buffer: { type: disk }, batch: { maxWait: 10ms } }`,
      ].join('\n') + '\n',
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', '--config', join(dir, 'zsf.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)","paths"/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      void exited.then(() => reject(new Error(`zsf run exited: ${out}`)));
    });
    try {
      const id = '88888888-0000-4000-8000-000000000008';
      const r = await post(url, envelope(id, 'zen:event-type:user.role_changed', new Date().toISOString()));
      expect(r.status).toBe(200);
      await hec.waitFor(() => hec.indexed.length >= 1, 20_000, 'the webhook at HEC');
      expect(hec.indexed[0]!.event).toMatchObject({ metadata: { uid: `acme:webhook:${id}`, labels: ['risk:role_elevated_admin'] } });
      expect(out).not.toContain(SECRET);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await closeAgents();
      await hec.close();
    }
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { captureLogs, probe, tempDir } from '../support/probe.js';

const CANARY = 'zsf-canary-7f3a9c2e5b1d';

describe('secrets', () => {
  it('a canary token from config appears in no log line, metric, error, readyz body or dead letter', async () => {
    const dataDir = tempDir();
    let calls = 0;
    let release!: () => void;
    const leaked = new Promise<void>((r) => (release = r));
    // A destination that echoes the credential back in every error, as some do.
    probe('leaky', () => {
      calls++;
      if (calls === 1) return { kind: 'retry', reason: `HTTP 503: token ${CANARY} is throttled` };
      if (calls === 2) return { kind: 'permanent', reason: `HTTP 400: bad event for token ${CANARY}` };
      if (calls === 3) release();
      return { kind: 'auth', reason: `HTTP 403: token ${CANARY} disabled` };
    });
    const logs = captureLogs();
    const p = await startPipeline(
      {
        dataDir,
        log: { level: 'trace' },
        api: { listen: '127.0.0.1:0' },
        zendesk: { accounts: [{ name: 'acme', baseUrl: 'http://127.0.0.1:1', auth: { type: 'token', email: 'a@example.com', token: '${ZD_TOKEN}' } }] },
        sources: [{ id: 'gen', type: 'generator', count: 20, batchSize: 10 }],
        sinks: [{ id: 'leaky', type: 'probe', probe: 'leaky', token: '${ZD_TOKEN}', inputs: ['gen'], batch: { maxEvents: 10 }, retry: { initialBackoff: '1ms', maxBackoff: '2ms', authBackoff: '1ms' } }],
      },
      { env: { ZD_TOKEN: CANARY }, logDestination: logs.stream },
    );
    await leaked;
    const metrics = await (await request(`${p.apiUrl}/metrics`)).body.text();
    const ready = await (await request(`${p.apiUrl}/readyz`)).body.text();
    p.logger.info({ config: p.loaded.config }, 'config dump');
    await p.stop();
    const dead = readdirSync(join(dataDir, 'dead-letter')).map((f) => readFileSync(join(dataDir, 'dead-letter', f), 'utf8')).join('');

    // The canary did flow through every channel (so the checks below can fail)...
    expect(dead).toContain('[REDACTED]');
    expect(ready).toContain('[REDACTED]');
    expect(logs.lines.some((l) => l.includes('[REDACTED]'))).toBe(true);
    expect(metrics).toContain('zsf_sink_errors_total');
    // ...and never in clear, nor base64-encoded as in a Basic auth header.
    const b64 = Buffer.from(CANARY).toString('base64');
    for (const text of [logs.lines.join('\n'), metrics, ready, dead]) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(b64);
    }
  });
});

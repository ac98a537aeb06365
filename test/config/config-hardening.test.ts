// Config errors never print secret values; plain-http sink endpoints need loopback or an
// explicit opt-in; the new core options have defaults and bounds.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../src/app/config.js';
import { problems } from '../support/config-problems.js';
import { tempDir } from '../support/probe.js';

const gen = { id: 'gen', type: 'generator', count: 10 };


const hec = (extra: Record<string, unknown>) => ({ sources: [gen], sinks: [{ id: 'hec', type: 'splunk_hec', inputs: ['gen'], token: 'a-token-value', ...extra }] });

describe('secret values in config errors', () => {
  it('a token read as a number shows the path and the expected type, never the value', () => {
    const out = problems(hec({ endpoint: 'https://splunk.example.com:8088', token: 98765432109876 }));
    expect(out).toEqual(['sinks[0].token: expected string, got number (value hidden: this field holds a secret)']);
    expect(out.join('\n')).not.toContain('98765432109876');
  });

  it('a secret-looking key in a nested map (OTLP headers) is hidden too, while ordinary values are still shown', () => {
    const out = problems({
      sources: [gen],
      sinks: [{ id: 'o', type: 'otlp', inputs: ['gen'], endpoint: 'https://collector:4318/v1/logs', headers: { Authorization: 12345678 }, concurrency: 'four' }],
    });
    expect(out.join('\n')).not.toContain('12345678');
    expect(out).toContain('sinks[0].headers.Authorization: expected string, got number (value hidden: this field holds a secret)');
    expect(out.some((p) => p.startsWith('sinks[0].concurrency') && p.includes('"four"'))).toBe(true);
  });

  it('`zsf validate` prints no secret value', () => {
    const dir = tempDir();
    const file = join(dir, 'zsf.yaml');
    writeFileSync(file, ['sources:', '  - { id: gen, type: generator }', 'sinks:', '  - id: hec', '    type: splunk_hec', '    inputs: [gen]', '    endpoint: https://splunk.example.com:8088', '    token: 987654321098765', ''].join('\n'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'validate', '--config', file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr + r.stdout).toContain('sinks[0].token: expected string');
    expect(r.stderr + r.stdout).not.toContain('987654321098765');
  });
});

describe('plain http sink endpoints', () => {
  it('refuses http:// to a non-loopback host with a clear message', () => {
    expect(problems(hec({ endpoint: 'http://splunk.example.com:8088' }))).toEqual([
      expect.stringMatching(/^sinks\[0\]\.endpoint: plain http:\/\/ to splunk\.example\.com would send events and credentials unencrypted; use https:\/\/, or set allowInsecureHttp: true/),
    ]);
    expect(problems({ sources: [gen], sinks: [{ id: 'dd', type: 'datadog_logs', inputs: ['gen'], apiKey: 'k-123456', endpoint: 'https://intake.example.com', apiEndpoint: 'http://api.example.com' }] })).toEqual([
      expect.stringMatching(/^sinks\[0\]\.apiEndpoint: plain http:\/\//),
    ]);
    expect(problems({ sources: [gen], sinks: [{ id: 'o', type: 'otlp', inputs: ['gen'], endpoint: 'http://10.0.0.5:4318/v1/logs' }] })).toHaveLength(1);
    expect(problems({ sources: [gen], sinks: [{ id: 's3', type: 's3', inputs: ['gen'], bucket: 'my-bucket', endpoint: 'http://minio.internal:9000' }] })).toEqual([expect.stringMatching(/^sinks\[0\]\.endpoint: plain http:\/\//)]);
  });

  it('accepts https, loopback hosts, and http with allowInsecureHttp: true', () => {
    for (const endpoint of ['https://splunk.example.com:8088', 'http://127.0.0.1:8088', 'http://localhost:8088', 'http://[::1]:8088']) expect([endpoint, problems(hec({ endpoint }))]).toEqual([endpoint, []]);
    expect(problems(hec({ endpoint: 'http://splunk.internal:8088', allowInsecureHttp: true }))).toEqual([]);
    expect(problems({ sources: [gen], sinks: [{ id: 's3', type: 's3', inputs: ['gen'], bucket: 'my-bucket', endpoint: 'http://minio.internal:9000', allowInsecureHttp: true }] })).toEqual([]);
  });
});

describe('core limits and restart options', () => {
  it('have defaults and are bounded', () => {
    const { config } = loadConfigObject({ sources: [gen], sinks: [{ id: 'out', type: 'null', inputs: ['gen'] }] }, { env: {} });
    expect(config.limits).toEqual({ maxRecordDepth: 64, maxRecordBytes: 1024 * 1024 });
    expect(config.sourceRestart).toEqual({ initialBackoff: 5000, maxBackoff: 300_000 });
    expect(config.sinks[0]!.unhealthyAfter).toBe(60_000);
    expect(problems({ limits: { maxRecordDepth: 2, maxRecordBytes: '1GiB' }, sources: [gen], sinks: [{ id: 'out', type: 'null', inputs: ['gen'] }] })).toHaveLength(2);
  });
});

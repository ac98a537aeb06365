// Every ready-made config in examples/ passes `zsf validate`'s checks (schema, interpolation,
// graph), given the environment variables and mounted secret files it says it reads.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../src/app/config.js';
import { ROOT } from './chart-gen.js';
import { interpolations, tempDir, type Json } from './helpers.js';

// Plausible values for every variable the examples use without a default. A new example with a
// new variable fails below until it is added here.
const ENV: Record<string, string> = {
  ZENDESK_EMAIL: 'siem-forwarder@acme.example',
  ZENDESK_API_TOKEN: 'zendesk-token',
  ACME_ZENDESK_TOKEN: 'acme-token',
  SPLUNK_HEC_URL: 'https://splunk.example.com:8088',
  SPLUNK_HEC_TOKEN: '0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba',
  DD_API_KEY: 'dd-key',
  OTLP_ENDPOINT: 'https://otel-collector.example.com:4318/v1/logs',
  OTLP_TOKEN: 'otlp-token',
  HTTP_INGEST_URL: 'https://ingest.example.com/zendesk',
  HTTP_INGEST_TOKEN: 'ingest-token',
  S3_BUCKET: 'acme-archive',
  SECURITY_LAKE_BUCKET: 'aws-security-data-lake-us-east-1-abc',
  AWS_ACCOUNT_ID: '123456789012',
};

const examples = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('examples/*.yaml', () => {
  it('include the documented set', () => {
    for (const f of ['demo.yaml', 'splunk.yaml', 'datadog.yaml', 'otlp.yaml', 's3.yaml', 'security-lake.yaml', 'multi-account.yaml']) expect(examples).toContain(f);
  });

  it.each(examples)('%s validates with the variables and secret files it reads', (file) => {
    const raw = parseYaml(readFileSync(join(ROOT, 'examples', file), 'utf8')) as Json;
    const { vars, files } = interpolations(raw);
    const unknown = [...vars].filter((v) => !(v in ENV));
    expect(unknown, `add a plausible value for these to ENV in ${import.meta.url}`).toEqual([]);
    // ${file:/abs/path} -> the same path under a temp root, holding a dummy secret
    const root = tempDir('zsf-examples-');
    let text = JSON.stringify(raw);
    for (const f of files) {
      const moved = join(root, f);
      mkdirSync(dirname(moved), { recursive: true });
      writeFileSync(moved, `dummy-secret-${f.split('/').pop()}\n`);
      text = text.split(`\${file:${f}}`).join(`\${file:${moved}}`);
    }
    const loaded = loadConfigObject(JSON.parse(text), { env: ENV, baseDir: join(ROOT, 'examples') });
    expect(loaded.config.sources.length).toBeGreaterThan(0);
    expect(loaded.config.sinks.length).toBeGreaterThan(0);
    for (const f of files) expect(loaded.secrets.scrub(`dummy-secret-${f.split('/').pop()}`)).not.toContain('dummy-secret');
  });

  it('multi-account.yaml keeps each account on its own budget and feeds both sinks from every source', () => {
    const raw = parseYaml(readFileSync(join(ROOT, 'examples', 'multi-account.yaml'), 'utf8')) as Json;
    const text = JSON.stringify(raw).split('${file:/run/secrets/globex-oauth}').join('oauth-token');
    const { config } = loadConfigObject(JSON.parse(text), { env: ENV, baseDir: join(ROOT, 'examples') });
    expect(config.zendesk.accounts.map((a) => [a.name, a.requestsPerMinute, a.auth.type])).toEqual([
      ['acme', 200, 'token'],
      ['globex', 100, 'oauth'],
    ]);
    const sourceIds = config.sources.map((s) => s.id);
    expect(new Set(config.sources.map((s) => s.account))).toEqual(new Set(['acme', 'globex']));
    const ocsf = config.transforms.find((t) => t.id === 'ocsf')!;
    expect([...ocsf.inputs].sort()).toEqual([...sourceIds].sort());
    expect([...config.sinks.find((s) => s.id === 'archive')!.inputs].sort()).toEqual([...sourceIds].sort());
  });
});

// `zsf keygen` and `zsf verify` as child processes: the key pair's modes, no overwrite, and
// verify's exit code and reports over a file-sink archive written with that key.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sectionDefault, type BuildEnv } from '../../src/core/plugin.js';
import type { PipelineEvent } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { fileSink } from '../../src/sinks/file.js';
import { dirStore } from '../../src/integrity/dir-store.js';
import { s3Sink } from '../../src/sinks/s3/index.js';
import { startS3Server, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY } from '../support/s3-server.js';
import { sendsPipelineEvents } from '../support/sink-events.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'zsf-integrity-cli-'));
  dirs.push(d);
  return d;
}

function zsf(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

async function writeArchive(dir: string, privatePem: string): Promise<string> {
  const options = z.object(fileSink.options).parse({ path: 'out/events.ndjson', integrity: { enabled: true, signingKey: privatePem } });
  const env: BuildEnv = { id: 'f', dataDir: join(dir, 'data'), resolvePath: (p) => join(dir, p), logger: pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() })), metrics: createMetrics(), secrets: new Secrets(), section: sectionDefault, shared: (_k, m) => m() };
  const driver = sendsPipelineEvents(fileSink.create({ ...options, id: 'f', type: 'file', inputs: ['x'] } as never, env));
  for (let b = 0; b < 3; b++) {
    const events: PipelineEvent[] = Array.from({ length: 10 }, (_, j) => {
      const i = b * 10 + j;
      return { meta: { id: `acme:access_log:${i}`, account: 'acme', stream: 'access_log', time: Date.UTC(2026, 5, 1) + i * 60_000, schema: 'ecs' }, body: { event: { id: `acme:access_log:${i}` } } };
    });
    expect((await driver.send(events, AbortSignal.timeout(10_000))).kind).toBe('ok');
  }
  await driver.close?.();
  return join(dir, 'out', 'events');
}

describe('zsf keygen and zsf verify', () => {
  it('keygen writes a 0600 private key and a public key, and never overwrites them', async () => {
    const dir = tempDir();
    const r = await zsf(['keygen', '--out', join(dir, 'keys')]);
    expect(r.code).toBe(0);
    expect(statSync(join(dir, 'keys', 'zsf-signing.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'keys', 'zsf-signing.pub.pem'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    const again = await zsf(['keygen', '--out', join(dir, 'keys')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('never overwrites');
  });

  it('verify exits 0 on a whole archive, 1 with the finding in the report after an edit, 2 without a key', async () => {
    const dir = tempDir();
    expect((await zsf(['keygen', '--out', join(dir, 'keys')])).code).toBe(0);
    const archive = await writeArchive(dir, readFileSync(join(dir, 'keys', 'zsf-signing.pem'), 'utf8'));
    const pub = join(dir, 'keys', 'zsf-signing.pub.pem');

    const ok = await zsf(['verify', '--dir', archive, '--public-key', pub]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Result: WHOLE');
    expect(ok.stdout).toMatch(/\| acme\.access_log\.ecs \| whole \| 3 \| 3 \| 3 \| 0 \| 30 \| 0 \|/);

    const store = dirStore(archive);
    const keys: string[] = [];
    for await (const o of store.list()) if (!o.key.startsWith('_integrity/')) keys.push(o.key);
    const victim = keys.sort()[1]!;
    const bytes = (await store.get(victim))!;
    bytes[0] = bytes[0]! ^ 0x20;
    await store.put(victim, bytes);

    const out = join(dir, 'report.json');
    const bad = await zsf(['verify', '--dir', archive, '--public-key', pub, '--report', 'json', '--out', out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('NOT whole, 1 finding');
    const report = JSON.parse(readFileSync(out, 'utf8')) as { whole: boolean; findings: { kind: string; key: string }[] };
    expect(report.whole).toBe(false);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'edited', key: victim })]);

    const noKey = await zsf(['verify', '--dir', archive]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--public-key');
  });

  it('a rotated key is accepted only inside its validity period', async () => {
    const dir = tempDir();
    expect((await zsf(['keygen', '--out', join(dir, 'keys')])).code).toBe(0);
    const archive = await writeArchive(dir, readFileSync(join(dir, 'keys', 'zsf-signing.pem'), 'utf8'));
    const pub = join(dir, 'keys', 'zsf-signing.pub.pem');
    const expired = await zsf(['verify', '--dir', archive, '--public-key', `${pub}@2020-01-01..2020-12-31`, '--report', 'json']);
    expect(expired.code).toBe(1);
    const r = JSON.parse(expired.stdout) as { findings: { kind: string; detail: string }[] };
    expect(r.findings.map((f) => f.kind)).toEqual(['bad_signature']);
    expect(r.findings[0]!.detail).toContain('outside that key');
    expect((await zsf(['verify', '--dir', archive, '--public-key', `${pub}@2020-01-01..`])).code).toBe(0);
  });

  it('verify --s3 reads an archive under a bucket prefix with the AWS SDK credentials chain', async () => {
    const s3 = await startS3Server();
    const creds = { AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY };
    Object.assign(process.env, creds);
    try {
      const dir = tempDir();
      expect((await zsf(['keygen', '--out', join(dir, 'keys')])).code).toBe(0);
      const options = z.object(s3Sink.options).parse({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, prefix: 'evidence/zendesk', integrity: { enabled: true, signingKey: readFileSync(join(dir, 'keys', 'zsf-signing.pem'), 'utf8') } });
      const env: BuildEnv = { id: 's3', dataDir: join(dir, 'data'), resolvePath: (p) => p, logger: pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() })), metrics: createMetrics(), secrets: new Secrets(), section: sectionDefault, shared: (_k, m) => m() };
      const driver = sendsPipelineEvents(s3Sink.create({ ...options, id: 's3', type: 's3', inputs: ['x'] } as never, env));
      const events: PipelineEvent[] = Array.from({ length: 20 }, (_, i) => ({ meta: { id: `acme:audit_log:${i}`, account: 'acme', stream: 'audit_log', time: Date.UTC(2026, 5, 1) + i * 1000, schema: 'ocsf' }, body: { metadata: { uid: `acme:audit_log:${i}` } } }));
      expect((await driver.send(events.slice(0, 10), AbortSignal.timeout(10_000))).kind).toBe('ok');
      expect((await driver.send(events.slice(10), AbortSignal.timeout(10_000))).kind).toBe('ok');
      await driver.close?.();
      const args = ['verify', '--s3', `s3://${s3.bucket}/evidence/zendesk`, '--endpoint', s3.endpoint, '--region', s3.region, '--force-path-style', '--public-key', join(dir, 'keys', 'zsf-signing.pub.pem'), '--report', 'json'];
      const ok = await zsf(args, creds);
      expect(ok.code, ok.stderr).toBe(0);
      const report = JSON.parse(ok.stdout) as { location: string; chains: { chain: string; entries: number; records: number }[] };
      expect(report.location).toBe(`s3://${s3.bucket}/evidence/zendesk`);
      expect(report.chains).toEqual([expect.objectContaining({ chain: 'acme.audit_log.ocsf', entries: 2, records: 20 })]);
      const bad = await zsf(['verify', '--s3', 'https://not-s3', '--public-key', join(dir, 'keys', 'zsf-signing.pub.pem')], creds);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('expected s3://bucket');
    } finally {
      await s3.close();
    }
  });
});

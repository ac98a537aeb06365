// The tamper-evident archive end to end: the s3 sink (against the s3rver the sink tests use)
// and the file sink (a temp folder) write chained archives; each test tampers in one way and
// `verifyArchive` must report exactly that kind of finding and nothing else.

import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sectionDefault, type BuildEnv } from '../../src/core/plugin.js';
import type { PipelineEvent, SinkDriver } from '../../src/core/types.js';
import { dirStore } from '../../src/integrity/dir-store.js';
import { s3Store } from '../../src/integrity/s3-store.js';
import { generateSigningKeyPair, parseSignedHead, publicKeyEntry, signHead } from '../../src/integrity/signer.js';
import type { ArchiveStore } from '../../src/integrity/store.js';
import { verifyArchive, type VerifyReport } from '../../src/integrity/verify.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { fileSink } from '../../src/sinks/file.js';
import { s3Sink } from '../../src/sinks/s3/index.js';
import { mulberry32 } from '../support/random.js';
import { startS3Server, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, type S3TestServer } from '../support/s3-server.js';
import { createPrivateKey } from 'node:crypto';
import { sendsPipelineEvents, type PipelineEventDriver } from '../support/sink-events.js';

const KEYS = generateSigningKeyPair();
const OTHER = generateSigningKeyPair();
const publicKeys = [publicKeyEntry(KEYS.publicPem, 'test key')];
const T0 = Date.UTC(2026, 0, 1, 0, 10);
const BATCHES = 5;
const PER_BATCH = 40;

let s3: S3TestServer;
const tmp: string[] = [];
beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = TEST_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_SECRET_ACCESS_KEY;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3.close();
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'zsf-integrity-'));
  tmp.push(d);
  return d;
}

function events(batch: number, rnd: () => number): PipelineEvent[] {
  return Array.from({ length: PER_BATCH }, (_, j) => {
    const i = batch * PER_BATCH + j;
    const time = T0 + i * 1000;
    const id = `acme:audit_log:${i}`;
    return { meta: { id, account: 'acme', stream: 'audit_log', time, schema: 'ocsf', classUid: 6003 }, body: { class_uid: 6003, time, metadata: { uid: id }, message: `event ${i} ${rnd().toString(36)}` } };
  });
}

const silent = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
const integrity = { enabled: true, signingKey: KEYS.privatePem, signEvery: { objects: 2, interval: '1h' } };

interface Archive {
  store: ArchiveStore;
  driver(): PipelineEventDriver<SinkDriver>;
}

let prefixes = 0;
const backends: Record<string, () => Archive> = {
  s3: () => {
    const prefix = `t${++prefixes}`;
    const dataDir = tempDir();
    return {
      store: s3Store(s3.client, s3.bucket, prefix),
      driver: () => {
        const options = z.object(s3Sink.options).parse({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, sdkMaxAttempts: 1, prefix, integrity });
        const env: BuildEnv = { id: 'archive', dataDir, resolvePath: (p) => p, logger: silent, metrics: createMetrics(), secrets: new Secrets(), section: sectionDefault, shared: (_k, make) => make() };
        return sendsPipelineEvents(s3Sink.create({ ...options, id: 'archive', type: 's3', inputs: ['x'] } as never, env));
      },
    };
  },
  file: () => {
    const dir = tempDir();
    return {
      store: dirStore(join(dir, 'out', 'events')),
      driver: () => {
        const options = z.object(fileSink.options).parse({ path: 'out/events.ndjson', integrity });
        const env: BuildEnv = { id: 'archive', dataDir: join(dir, 'data'), resolvePath: (p) => join(dir, p), logger: silent, metrics: createMetrics(), secrets: new Secrets(), section: sectionDefault, shared: (_k, make) => make() };
        return sendsPipelineEvents(fileSink.create({ ...options, id: 'archive', type: 'file', inputs: ['x'] } as never, env));
      },
    };
  },
};

/** Writes BATCHES objects of one chain (heads signed at 2, 4 and, on close, 5). */
async function writeArchive(backend: () => Archive, opts: { concurrent?: boolean } = {}): Promise<Archive & { objects: string[]; manifests: string[]; heads: string[] }> {
  const a = backend();
  const driver = a.driver();
  const rnd = mulberry32(7);
  const batches = Array.from({ length: BATCHES }, (_, b) => events(b, rnd));
  if (opts.concurrent) {
    const outcomes = await Promise.all(batches.map((b) => driver.send(b, AbortSignal.timeout(20_000))));
    for (const o of outcomes) expect(o.kind).toBe('ok');
  } else {
    for (const b of batches) expect((await driver.send(b, AbortSignal.timeout(20_000))).kind).toBe('ok');
  }
  await driver.close?.();
  const keys: string[] = [];
  for await (const o of a.store.list()) keys.push(o.key);
  const manifests = keys.filter((k) => /_integrity\/[^/]+\/\d+\.json$/.test(k)).sort();
  const heads = keys.filter((k) => k.includes('/heads/')).sort();
  const objects = keys.filter((k) => !k.includes('_integrity/'));
  return { ...a, objects, manifests, heads };
}

async function objectOf(a: ArchiveStore, manifestKey: string): Promise<string> {
  return (JSON.parse((await a.get(manifestKey))!.toString()) as { key: string }).key;
}

const kinds = (r: VerifyReport) => [...new Set(r.findings.map((f) => f.kind))].sort();

async function remove(a: ArchiveStore, key: string): Promise<void> {
  if (a.location.startsWith('s3://')) await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
  else await a.delete(key);
}

describe.each(Object.keys(backends))('tamper-evident archive (%s sink)', (name) => {
  const backend = backends[name]!;

  it('an untouched archive verifies clean: one chain of 5, heads at 2, 4 and 5', async () => {
    const a = await writeArchive(backend);
    expect(a.manifests).toHaveLength(BATCHES);
    expect(a.objects).toHaveLength(BATCHES);
    expect(a.heads.map((k) => Number(/(\d+)\.json$/.exec(k)![1]))).toEqual([2, 4, 5]);
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(r.findings).toEqual([]);
    expect(r.whole).toBe(true);
    expect(r.chains).toHaveLength(1);
    expect(r.chains[0]).toMatchObject({ chain: 'acme.audit_log.ocsf', entries: 5, lastSeq: 5, records: BATCHES * PER_BATCH, signedSeq: 5, unsignedTail: 0, duplicateRecords: 0 });
  });

  it('concurrent sends still make one gap-free chain', async () => {
    const a = await writeArchive(backend, { concurrent: true });
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(r.findings).toEqual([]);
    expect(r.chains[0]!.entries).toBe(BATCHES);
  });

  it('flip one byte of an object: edited, nothing else', async () => {
    const a = await writeArchive(backend);
    const key = await objectOf(a.store, a.manifests[2]!);
    const bytes = (await a.store.get(key))!;
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await a.store.put(key, bytes);
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(kinds(r)).toEqual(['edited']);
    expect(r.findings.map((f) => [f.key, f.seq])).toEqual([[key, 3]]);
    expect(r.whole).toBe(false);
  });

  it('delete an object: missing, with its key', async () => {
    const a = await writeArchive(backend);
    const key = await objectOf(a.store, a.manifests[1]!);
    await remove(a.store, key);
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(r.findings.map((f) => [f.kind, f.key])).toEqual([['missing', key]]);
  });

  it('delete a manifest: missing (sequence gap), its orphaned object named in the finding, not as foreign', async () => {
    const a = await writeArchive(backend);
    const key = await objectOf(a.store, a.manifests[2]!);
    await remove(a.store, a.manifests[2]!);
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(r.findings.map((f) => [f.kind, f.key, f.seq])).toEqual([['missing', a.manifests[2], 3]]);
    expect(r.findings[0]!.detail).toContain(key);
  });

  it('swap two objects: inserted_or_reordered for both, nothing else', async () => {
    const a = await writeArchive(backend);
    const k1 = await objectOf(a.store, a.manifests[1]!);
    const k2 = await objectOf(a.store, a.manifests[2]!);
    const [b1, b2] = [(await a.store.get(k1))!, (await a.store.get(k2))!];
    await a.store.put(k1, b2);
    await a.store.put(k2, b1);
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(r.findings.map((f) => [f.kind, f.key]).sort()).toEqual([['inserted_or_reordered', k1], ['inserted_or_reordered', k2]].sort());
  });

  it('truncate the tail (last two objects and manifests): truncated_tail from the signed heads', async () => {
    const a = await writeArchive(backend);
    for (const m of a.manifests.slice(3)) {
      await remove(a.store, await objectOf(a.store, m));
      await remove(a.store, m);
    }
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(kinds(r)).toEqual(['truncated_tail']);
    expect(r.findings.map((f) => f.seq)).toEqual([4, 5]);
  });

  it('truncate the tail and its heads: only a head held elsewhere (the SIEM event) proves it', async () => {
    const a = await writeArchive(backend);
    const lastHead = parseSignedHead((await a.store.get(a.heads[2]!))!.toString());
    if (!('signed' in lastHead)) throw new Error(lastHead.problem);
    for (const m of a.manifests.slice(3)) {
      await remove(a.store, await objectOf(a.store, m));
      await remove(a.store, m);
    }
    for (const h of a.heads.slice(1)) await remove(a.store, h);
    expect((await verifyArchive(a.store, { keys: publicKeys })).findings).toEqual([]); // undetectable from the archive alone
    const r = await verifyArchive(a.store, { keys: publicKeys, extraHeads: [{ signed: lastHead.signed, source: 'splunk' }] });
    expect(r.findings.map((f) => [f.kind, f.key, f.seq])).toEqual([['truncated_tail', 'splunk', 5]]);
  });

  it('re-sign a head with another key: bad_signature, nothing else', async () => {
    const a = await writeArchive(backend);
    const parsed = parseSignedHead((await a.store.get(a.heads[1]!))!.toString());
    if (!('signed' in parsed)) throw new Error(parsed.problem);
    const forged = signHead({ chain: parsed.signed.head.chain, seq: parsed.signed.head.seq, hash: parsed.signed.head.hash, time: parsed.signed.head.time }, createPrivateKey(OTHER.privatePem));
    // Claims the real key's id, so verify must check the signature itself.
    await a.store.put(a.heads[1]!, Buffer.from(JSON.stringify({ head: { ...forged.head, keyId: parsed.signed.head.keyId }, signature: forged.signature })));
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(r.findings.map((f) => [f.kind, f.key])).toEqual([['bad_signature', a.heads[1]]]);
    // With only the other key, every head is reported, never accepted.
    const wrongKey = await verifyArchive(a.store, { keys: [publicKeyEntry(OTHER.publicPem, 'other')] });
    expect(kinds(wrongKey)).toEqual(['bad_signature']);
    expect(wrongKey.findings).toHaveLength(3);
  });

  it('a foreign object in the archive is reported with its key', async () => {
    const a = await writeArchive(backend);
    const key = a.objects[0]!.replace(/[^/]+$/, 'planted.ndjson');
    await a.store.put(key, Buffer.from('{"x":1}\n'));
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(r.findings.map((f) => [f.kind, f.key])).toEqual([['foreign_object', key]]);
  });

  it('garbage manifests and heads never crash verify: each is unreadable_manifest with its key', async () => {
    const a = await writeArchive(backend);
    const rnd = mulberry32(99);
    const garbage = [
      Buffer.alloc(0),
      Buffer.from('[]'),
      Buffer.from('{"v":1,"seq":"3"}'),
      Buffer.from('null'),
      Buffer.from(JSON.stringify({ v: 1, chain: 'acme.audit_log.ocsf', seq: 3, key: 'k', bytes: 1, sha256: 'x', prev: 'y', count: 1, firstId: '', lastId: '', firstTime: 0, lastTime: 0, idPrints: '', storedAt: 0 })),
      Buffer.from(Array.from({ length: 512 }, () => Math.floor(rnd() * 256))),
      Buffer.from('{"a":'.repeat(10_000)),
    ];
    for (const g of garbage) {
      await a.store.put(a.manifests[2]!, g);
      await a.store.put(a.heads[0]!, g);
      const r = await verifyArchive(a.store, { keys: publicKeys });
      expect(kinds(r)).toEqual(['unreadable_manifest']);
      expect(r.findings.map((f) => f.key).sort()).toEqual([a.manifests[2], a.heads[0]].sort());
    }
  });
});

describe('integrity chain under S3 failures', () => {
  it('a manifest write that fails is retried with the same seq and object: no fork, no second object', async () => {
    const a = backends.s3!();
    const driver = a.driver();
    const rnd = mulberry32(3);
    let failed = 0;
    s3.intercept = (req) => (req.method === 'PUT' && req.url.includes('/_integrity/') && !req.url.includes('/heads/') && failed++ === 0 ? { status: 503, code: 'SlowDown' } : undefined);
    try {
      const batch = events(0, rnd);
      expect((await driver.send(batch, AbortSignal.timeout(20_000))).kind).toBe('retry');
      expect((await driver.send(batch, AbortSignal.timeout(20_000))).kind).toBe('ok');
      expect((await driver.send(events(1, rnd), AbortSignal.timeout(20_000))).kind).toBe('ok');
    } finally {
      s3.intercept = undefined;
    }
    await driver.close?.();
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(r.findings).toEqual([]);
    expect(r.chains[0]).toMatchObject({ entries: 2, records: 2 * PER_BATCH });
    expect(r.objects).toBe(2 + 2 + 1); // 2 objects, 2 manifests, 1 head (on close)
  });

  it('an object upload that fails holds no seq: the retry is chained once', async () => {
    const a = backends.s3!();
    const driver = a.driver();
    const rnd = mulberry32(4);
    let failed = 0;
    s3.intercept = (req) => (req.method === 'PUT' && !req.url.includes('/_integrity/') && failed++ === 0 ? { status: 500, code: 'InternalError' } : undefined);
    try {
      const batch = events(0, rnd);
      expect((await driver.send(batch, AbortSignal.timeout(20_000))).kind).toBe('retry');
      expect((await driver.send(batch, AbortSignal.timeout(20_000))).kind).toBe('ok');
    } finally {
      s3.intercept = undefined;
    }
    await driver.close?.();
    const r = await verifyArchive(a.store, { keys: publicKeys });
    expect(r.findings).toEqual([]);
    expect(r.chains[0]).toMatchObject({ entries: 1, lastSeq: 1 });
  });
});

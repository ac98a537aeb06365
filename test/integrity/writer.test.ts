// The integrity writer's crash ordering (docs/integrity.md), over a folder store: a restart
// removes an object a crash left without a manifest, continues from manifests written after
// the local head, and a failed attempt that stored its object anyway leaves nothing behind.

import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { dirStore } from '../../src/integrity/dir-store.js';
import { generateSigningKeyPair, publicKeyEntry } from '../../src/integrity/signer.js';
import { verifyArchive } from '../../src/integrity/verify.js';
import { createIntegrityWriter, type ChainedObject } from '../../src/integrity/writer.js';

const KEYS = generateSigningKeyPair();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'zsf-integrity-writer-'));
  dirs.push(dir);
  const store = dirStore(join(dir, 'archive'));
  const writer = () =>
    createIntegrityWriter({ sink: 'w', dataDir: join(dir, 'data'), store, config: { enabled: true, signingKey: KEYS.privatePem, signEvery: { objects: 100, interval: 3_600_000 } }, logger: pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() })) });
  return { dir, store, writer, stateFile: join(dir, 'data', 'integrity', 'w', 'c.json') };
}

let n = 0;
function object(): ChainedObject {
  const i = n++;
  return { chain: 'c', key: `c/${i}.ndjson`, bytes: Buffer.from(`{"id":${i}}\n`), records: [{ id: String(i), time: 1_700_000_000_000 + i }], attemptId: `a${i}` };
}

const verify = (store: ReturnType<typeof dirStore>) => verifyArchive(store, { keys: [publicKeyEntry(KEYS.publicPem, 'k')] });

describe('integrity writer crash ordering', () => {
  it('a restart deletes an object stored before a crash that never got its manifest', async () => {
    const { store, writer } = setup();
    const first = writer();
    const a = object();
    await first.store(a, () => store.put(a.key, a.bytes));
    const orphan = object();
    let stored!: () => void;
    const storedOnce = new Promise<void>((r) => (stored = r));
    // The process "dies" after the upload: put resolves never, so no seq and no manifest.
    void first.store(orphan, async () => {
      await store.put(orphan.key, orphan.bytes);
      stored();
      await new Promise(() => undefined);
    });
    await storedOnce;
    expect(await store.get(orphan.key)).toBeDefined();

    const second = writer();
    const b = object();
    await second.store(b, () => store.put(b.key, b.bytes));
    await second.close();
    expect(await store.get(orphan.key)).toBeUndefined();
    const r = await verify(store);
    expect(r.findings).toEqual([]);
    expect(r.chains[0]).toMatchObject({ entries: 2, lastSeq: 2, signedSeq: 2 });
  });

  it('a restart whose local head is behind the archive continues from the manifests already written', async () => {
    const { dir, store, writer, stateFile } = setup();
    const first = writer();
    const a = object();
    await first.store(a, () => store.put(a.key, a.bytes));
    copyFileSync(stateFile, join(dir, 'old-state.json'));
    for (let i = 0; i < 2; i++) {
      const o = object();
      await first.store(o, () => store.put(o.key, o.bytes));
    }
    copyFileSync(join(dir, 'old-state.json'), stateFile); // the head "lost" its last two advances
    const second = writer();
    const d = object();
    await second.store(d, () => store.put(d.key, d.bytes));
    await second.close();
    const r = await verify(store);
    expect(r.findings).toEqual([]);
    expect(r.chains[0]).toMatchObject({ entries: 4, lastSeq: 4 });
  });

  it('an attempt that failed after storing its object removes it; the retry is chained once', async () => {
    const { store, writer } = setup();
    const w = writer();
    const o = object();
    await expect(
      w.store(o, async () => {
        await store.put(o.key, o.bytes);
        throw new Error('timed out after the store took it');
      }),
    ).rejects.toThrow('timed out');
    expect(await store.get(o.key)).toBeUndefined();
    const retry = { ...o, key: `${o.key}.retry` };
    await w.store(retry, () => store.put(retry.key, retry.bytes));
    await w.close();
    const r = await verify(store);
    expect(r.findings).toEqual([]);
    expect(r.chains[0]).toMatchObject({ entries: 1 });
  });

  it('a lost local state re-reads the chain from the archive and continues it', async () => {
    const { dir, store, writer } = setup();
    const first = writer();
    for (let i = 0; i < 3; i++) {
      const o = object();
      await first.store(o, () => store.put(o.key, o.bytes));
    }
    await first.close();
    rmSync(join(dir, 'data'), { recursive: true });
    const second = writer();
    const o = object();
    await second.store(o, () => store.put(o.key, o.bytes));
    await second.close();
    const r = await verify(store);
    expect(r.findings).toEqual([]);
    expect(r.chains[0]).toMatchObject({ entries: 4, signedSeq: 4 });
    expect(readdirSync(join(dir, 'archive', '_integrity', 'c', 'heads'))).toEqual(['000000000003.json', '000000000004.json']);
  });
});

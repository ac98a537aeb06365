// Shared by the integrity crash test (3 kills, npm test) and campaign (20 kills, npm run
// test:crash): a chained archive written across SIGKILLs, then a clean --once run, must verify
// whole: every record present in every chain, redelivered ones reported as allowed, no gap.

import { expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dirStore } from '../../src/integrity/dir-store.js';
import { s3Store } from '../../src/integrity/s3-store.js';
import { generateSigningKeyPair, publicKeyEntry } from '../../src/integrity/signer.js';
import { verifyArchive, type VerifyReport } from '../../src/integrity/verify.js';
import { tempDir } from '../support/probe.js';
import { mulberry32 } from '../support/random.js';
import { startS3Server, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY } from '../support/s3-server.js';
import { spawnWarmChild, type WarmChild } from '../support/warm-child.js';

export async function runIntegrityCrash(kills: number, seed: number, count: number): Promise<{ file: VerifyReport; s3: VerifyReport }> {
  process.env.AWS_ACCESS_KEY_ID = TEST_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_SECRET_ACCESS_KEY;
  delete process.env.AWS_PROFILE;
  const s3 = await startS3Server();
  try {
    const dataDir = tempDir('zsf-integrity-crash-');
    const keys = generateSigningKeyPair();
    const keyFile = join(dataDir, 'signing.pem');
    writeFileSync(keyFile, keys.privatePem, { mode: 0o600 });
    const spawn = () => spawnWarmChild('test/integrity/crash-child.ts', [dataDir, String(count), s3.endpoint, s3.bucket, keyFile]);
    const random = mulberry32(seed);
    const warm: WarmChild[] = [spawn(), spawn()];
    for (let i = 0; i < kills; i++) {
      const current = warm.shift()!;
      await current.ready;
      current.go();
      await current.started;
      warm.push(spawn());
      // The kill moment itself is the thing under test, not a synchronisation.
      await new Promise((r) => setTimeout(r, 150 + Math.floor(random() * 900)));
      current.kill();
      const exit = await current.exit;
      expect(exit.signal, `round ${i} ended before its kill: ${current.out()}`).toBe('SIGKILL');
    }
    const final = warm.shift()!;
    for (const c of warm) c.kill();
    await final.ready;
    final.go();
    const exit = await final.exit;
    expect(exit.code, final.out()).toBe(0);

    const publicKeys = [publicKeyEntry(keys.publicPem, 'crash key')];
    const file = await verifyArchive(dirStore(join(dataDir, 'archive', 'events')), { keys: publicKeys });
    const bucket = await verifyArchive(s3Store(s3.client, s3.bucket, 'crash'), { keys: publicKeys });
    for (const r of [file, bucket]) {
      expect(r.findings.filter((f) => f.kind !== 'duplicate_records')).toEqual([]);
      expect(r.whole).toBe(true);
      expect(r.chains.map((c) => c.chain).sort()).toEqual(['acme.access_log.zendesk', 'acme.audit_log.zendesk']);
      for (const c of r.chains) {
        expect(c.records - c.duplicateRecords, `${r.location} ${c.chain}: distinct records`).toBe(count);
        expect(c.unsignedTail).toBe(0); // the clean run signed its last head on close
      }
    }
    return { file, s3: bucket };
  } finally {
    await s3.close();
  }
}

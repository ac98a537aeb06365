// Signed heads leave the archive: the integrity_heads source turns every head an
// integrity-enabled sink signs into a zsf.integrity event, here routed to a second file sink
// standing in for the SIEM. Those copies then expose a deleted tail that the archive alone
// cannot show.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { dirStore } from '../../src/integrity/dir-store.js';
import { parseSignedHead, generateSigningKeyPair, publicKeyEntry, type SignedHead } from '../../src/integrity/signer.js';
import { verifyArchive } from '../../src/integrity/verify.js';
import { tempDir } from '../support/probe.js';

async function eventually(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function siemHeads(path: string): { signed: SignedHead; source: string }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line, i) => {
      const p = parseSignedHead(line);
      return 'signed' in p ? [{ signed: p.signed, source: `siem line ${i + 1}` }] : [];
    });
}

describe('integrity_heads source', () => {
  it('sends every signed head to another sink, and those copies expose a truncated archive', async () => {
    const dir = tempDir('zsf-integrity-heads-');
    const keys = generateSigningKeyPair();
    const siem = join(dir, 'siem.ndjson');
    const p = await startPipeline(
      {
        dataDir: join(dir, 'data'),
        log: { level: 'error' },
        sources: [
          { id: 'gen', type: 'generator', account: 'acme', count: 400, batchSize: 50 },
          { id: 'heads', type: 'integrity_heads' },
        ],
        sinks: [
          { id: 'archive', type: 'file', inputs: ['gen'], path: join(dir, 'archive', 'events.ndjson'), batch: { maxEvents: 50, maxWait: '5ms' }, integrity: { enabled: true, signingKey: keys.privatePem, signEvery: { objects: 2, interval: '1h' } } },
          { id: 'siem', type: 'file', inputs: ['heads'], path: siem, batch: { maxEvents: 10, maxWait: '5ms' } },
        ],
      },
      { api: false },
    );
    // 400 records in batches of 50: 8 objects, a head every 2.
    await eventually(() => siemHeads(siem).some((h) => h.signed.head.seq === 8), 'the head of seq 8 in the SIEM file');
    await p.stop();

    const heads = siemHeads(siem);
    expect(heads.map((h) => h.signed.head.seq).sort((a, b) => a - b)).toEqual([2, 4, 6, 8]);
    expect(heads[0]!.signed.head.chain).toBe('acme.audit_log.zendesk');
    const line = JSON.parse(readFileSync(siem, 'utf8').split('\n')[0]!) as { event: string; sink: string };
    expect(line).toMatchObject({ event: 'zsf.integrity', sink: 'archive' });

    const store = dirStore(join(dir, 'archive', 'events'));
    const publicKeys = [publicKeyEntry(keys.publicPem, 'k')];
    expect((await verifyArchive(store, { keys: publicKeys, extraHeads: heads })).whole).toBe(true);

    // An attacker removes the last three objects, their manifests and every head after #4.
    const all: string[] = [];
    for await (const o of store.list()) all.push(o.key);
    for (const seq of [6, 7, 8]) {
      const mk = all.find((k) => k.endsWith(`/${String(seq).padStart(12, '0')}.json`) && !k.includes('/heads/'))!;
      await store.delete((JSON.parse((await store.get(mk))!.toString()) as { key: string }).key);
      await store.delete(mk);
    }
    for (const k of all.filter((k) => /heads\/0+[68]\.json$/.test(k))) await store.delete(k);
    expect((await verifyArchive(store, { keys: publicKeys })).whole).toBe(true); // the archive alone cannot tell
    const r = await verifyArchive(store, { keys: publicKeys, extraHeads: heads });
    expect(r.findings.map((f) => [f.kind, f.seq])).toEqual([
      ['truncated_tail', 6],
      ['truncated_tail', 8],
    ]);
  }, 60_000);
});

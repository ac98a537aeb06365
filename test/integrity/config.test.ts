// Bad integrity settings get a clear error that never quotes the key.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { startPipeline } from '../../src/app/start.js';
import { problems } from '../support/config-problems.js';

const dir = mkdtempSync(join(tmpdir(), 'zsf-integrity-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (integrity: unknown) => ({
  dataDir: join(dir, 'data'),
  sources: [{ id: 'gen', type: 'generator', count: 10 }],
  sinks: [{ id: 'archive', type: 'file', inputs: ['gen'], path: join(dir, 'out.ndjson'), integrity }],
});

describe('integrity config', () => {
  it('enabled without a signing key is a config error naming the fix', () => {
    expect(problems(config({ enabled: true }))).toEqual([expect.stringMatching(/^sinks\[0\]\.integrity: integrity\.enabled needs integrity\.signingKey .*zsf keygen/)]);
  });

  it('a signing key that is not an Ed25519 PEM fails the start with a message that does not quote it', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const notAKey = 'zsf-secret-not-a-key-1234567890';
    for (const [pem, expected] of [
      [rsa, /is a rsa key; an Ed25519 key is required/],
      [notAKey, /is not a PEM private key/],
    ] as const) {
      const file = join(dir, 'key.pem');
      writeFileSync(file, pem);
      let logs = '';
      const dest = new Writable({ write: (c, _e, cb) => ((logs += String(c)), cb()) });
      const err = await startPipeline(config({ enabled: true, signingKey: '${file:' + file + '}' }), { once: true, api: false, logger: pino({ level: 'debug' }, dest) }).then(
        async (p) => JSON.stringify(await p.done),
        (e: unknown) => String(e),
      );
      expect(err).toMatch(expected);
      const secret = pem.length > 80 ? pem.slice(40, 80) : pem;
      expect(err).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});

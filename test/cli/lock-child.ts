// Child process for test/cli/datadir-lock.test.ts: says it is ready, waits until the `go` file
// exists (so all contenders start together), tries to take the dataDir lock, prints one JSON line with the
// outcome and, when it got the lock, holds it until its stdin closes.

import { existsSync } from 'node:fs';
import { acquireDataDirLock } from '../../src/core/datadir-lock.js';

const [dataDir, go] = process.argv.slice(2) as [string, string];
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 1));
try {
  const lock = await acquireDataDirLock(dataDir);
  process.stdout.write(JSON.stringify({ pid: process.pid, ok: true, takenOver: lock.takenOver?.reason ?? null }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    lock.release();
    process.exit(0);
  });
} catch (err) {
  process.stdout.write(JSON.stringify({ pid: process.pid, ok: false, message: (err as Error).message }) + '\n');
}

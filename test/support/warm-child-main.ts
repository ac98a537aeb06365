// The child's side of test/support/warm-child.ts: its modules are loaded by importing this file,
// so it says "ready" at once, starts the pipeline on "go" (stdin), says "started", and at the
// end prints "done" or "failed <failures>" and exits 0 or 1. A following child runs until the
// parent kills it.

import { once } from 'node:events';
import { startPipeline } from '../../src/app/start.js';

export async function runAsWarmChild(config: unknown, options: { once: boolean }): Promise<never> {
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  const p = await startPipeline(config, options);
  process.stdout.write('started\n');
  const r = await p.done;
  process.stdout.write(r.ok ? 'done\n' : `failed ${JSON.stringify(r.failures)}\n`);
  process.exit(r.ok ? 0 : 1);
}

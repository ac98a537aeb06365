// `npx tsx bench/startup-imports.ts [runs]`: what start-up's imports cost, for docs/performance.md
// ("Start-up"). Each run is a fresh `node` (the one running this, so put Node 24 first on the
// PATH to measure it) with the image's NODE_OPTIONS that imports, in order, the big
// dependencies, then the modules `zsf run` loads (the registry with every plugin, the config
// schema, the pipeline, the run command), and prints the process's CPU time (user + system)
// after each: the cost of each step beyond what the earlier steps loaded. CPU time, not wall:
// on a shared machine it moves far less. Medians of the runs (default 9). The compile cache
// follows the environment (NODE_COMPILE_CACHE; the script's own inline code is not cached);
// run it twice with the same folder to measure a warm cache. Needs the built dist/.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureBuilt, median, productNodeFlags } from './lib.js';

const STEPS = ['commander', 'zod', 'yaml', 'pino', 'prom-client', 'undici', './dist/src/app/registry.js', './dist/src/config/schema.js', './dist/src/core/pipeline.js', './dist/src/cli/pipeline-commands.js'];
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 9);
const { flags, note } = productNodeFlags();

const script = `const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const out = [cpu()];
for (const s of ${JSON.stringify(STEPS)}) { await import(s); out.push(cpu()); }
console.log(JSON.stringify(out));`;

ensureBuilt();
const samples: number[][] = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  samples.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as number[]);
}
const ms = (xs: number[]) => median(xs).toFixed(1).padStart(6);
console.log(`node ${process.versions.node}, ${note}, compile cache ${process.env.NODE_COMPILE_CACHE ? `in ${process.env.NODE_COMPILE_CACHE}` : 'off'}, median of ${runs} runs, CPU ms`);
console.log(`${ms(samples.map((s) => s[0]!))}  before the first import (Node's own start-up)`);
STEPS.forEach((step, i) => console.log(`${ms(samples.map((s) => s[i + 1]! - s[i]!))}  + ${step}`));
console.log(`${ms(samples.map((s) => s[s.length - 1]!))}  total; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);

// `npm run bench [name-filter]`: runs every bench/*.bench.ts and prints one table.
// Figures are for this machine; compare ratios, not absolute numbers, across machines.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchRow } from './lib.js';

const filter = process.argv[2];
const dir = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

// Each bench file runs in a process of its own, so that its peak RSS is its own.
if (files.length > 1) {
  console.log(`zendesk-siem-forwarder bench — node ${process.version}, ${new Date().toISOString()}`);
  for (const f of files) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), f], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ZSF_BENCH_CHILD: '1' } });
    if (r.status !== 0) process.exitCode = 1;
  }
  process.exit();
}

if (!process.env.ZSF_BENCH_CHILD) console.log(`zendesk-siem-forwarder bench — node ${process.version}, ${new Date().toISOString()}`);
for (const f of files) {
  const mod = (await import(new URL(f, import.meta.url).href)) as { default: BenchModule };
  console.log(`\n## ${f}`);
  let rows: BenchRow[];
  try {
    rows = await mod.default();
  } catch (err) {
    console.log(`  FAILED: ${err instanceof Error ? err.stack : String(err)}`);
    process.exitCode = 1;
    continue;
  }
  console.log('| what | events/s | MB/s | peak RSS MB | ratio | note |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `${fmt(r.ratio, 3)}${r.ratioTo ? ` of ${r.ratioTo}` : ''}`;
    console.log(`| ${r.name} | ${fmt(r.eventsPerSec)} | ${fmt(r.mbPerSec, 1)} | ${fmt(r.peakRssMb)} | ${ratio} | ${r.note ?? ''} |`);
  }
}

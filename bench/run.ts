// `npm run bench [name-filter]`: runs every bench/*.bench.ts and prints one table.
// Figures are for this machine; compare ratios, not absolute numbers, across machines.

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

console.log(`zendesk-siem-forwarder bench — node ${process.version}, ${new Date().toISOString()}`);
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

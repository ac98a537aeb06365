// `npm run bench [-- --quick] [-- --write-readme] [name-filter]`: runs every bench/*.bench.ts,
// prints one table per file, then the goal table of issue 13 (every goal line, its figure and
// PASS/MISS). Figures are for this machine; compare ratios, not absolute numbers, across machines.
//
//   --quick          development: 100k records only, one run, short storms (a few minutes)
//   (default)        full: 10k, 100k and 1M records, 3 runs of the cases up to 100k (estimated ≤ 15 min on 2 quiet cores)
//   --write-readme   replaces README's goal table (between the bench-goals markers) with this run's

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchRow, GoalLine } from './lib.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.ZSF_BENCH_MODE === 'quick';
const writeReadme = args.includes('--write-readme');
const filter = args.find((a) => !a.startsWith('--'));
const dir = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const started = new Date();

/** The goal table: markdown, so that it can go into the README as printed. */
function goalTable(lines: GoalLine[]): string {
  const rows = lines.map((l) => `| ${l.goal} | ${l.target} | ${l.measured} | ${l.pass ? 'PASS' : '**MISS**'} | ${l.note ?? ''} |`);
  return ['| goal (issue 13) | target | measured | | beside |', '|---|---|---:|---|---|', ...rows].join('\n');
}

const README_START = '<!-- bench-goals:start (npm run bench -- --write-readme) -->';
const README_END = '<!-- bench-goals:end -->';

function writeGoalsToReadme(text: string): void {
  const file = fileURLToPath(new URL('../README.md', import.meta.url));
  const readme = readFileSync(file, 'utf8');
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the markers ${README_START} … ${README_END}`);
  writeFileSync(file, readme.slice(0, a) + README_START + '\n' + text + '\n' + readme.slice(b));
  console.log(`\nREADME.md: goal table replaced.`);
}

if (!process.env.ZSF_BENCH_CHILD) {
  // The parent: one process per bench file, so that each file's peak RSS is its own; the goal
  // lines come back through a file.
  console.log(`zendesk-siem-forwarder bench (${quick ? 'quick' : 'full'}) — node ${process.version}, ${started.toISOString()}, load ${load()}`);
  const work = mkdtempSync(join(tmpdir(), 'zsf-bench-goals-'));
  const goalsFile = join(work, 'goals.ndjson');
  for (const f of files) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), f], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ZSF_BENCH_CHILD: '1', ZSF_BENCH_MODE: quick ? 'quick' : 'full', ZSF_BENCH_GOALS_FILE: goalsFile },
    });
    if (r.status !== 0) process.exitCode = 1;
  }
  const lines = existsSync(goalsFile) ? readFileSync(goalsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as GoalLine) : [];
  rmSync(work, { recursive: true, force: true });
  lines.sort((a, b) => a.order - b.order); // stable: within a goal, in the order measured
  if (lines.length) {
    const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(0);
    const header = `\`npm run bench${quick ? ' -- --quick' : ''}\`${filter ? ` (${filter} only)` : ''}, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, node ${process.version}, ${minutes} min, load ${load()} at the end; ${lines.filter((l) => l.pass).length} of ${lines.length} goal lines met.`;
    const text = `${header}\n\n${goalTable(lines)}`;
    console.log(`\n## goals\n${text}`);
    if (writeReadme) writeGoalsToReadme(text);
  }
  process.exit();
}

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

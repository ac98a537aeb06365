// `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]`: where a `node --cpu-prof` profile
// spent its samples, by area (GC, module loading, product folders, each dependency, Node's own
// code) and by function (self time). Used for docs/performance.md; profiles come from
// `ZSF_BENCH_CPU_PROF=<dir> npm run bench -- --quick e2e`.

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Self time of every node, µs. */
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** The area a frame belongs to: a product folder, a dependency, Node itself, or V8's own entries. */
function area(n: ProfileNode): string {
  const { functionName, url } = n.callFrame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle (waiting for I/O)';
  if (functionName === '(program)') return '(program: V8/native outside JS)';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return `dependency ${dep[1]}`;
  const own = /\/dist\/((?:src\/)?[^/]+(?:\/[^/]+)?)\//.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return 'node: built-ins';
  return url ? url : '(native)';
}

/** True when a frame runs inside module loading (an ancestor is the ESM loader), so start-up cost can be told apart. */
function loading(id: number): boolean {
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame;
    if (/internal\/modules\/(esm|cjs)/.test(f.url) && /load|import|link|evaluate|compile|require/i.test(f.functionName)) return true;
  }
  return false;
}

const areas = new Map<string, number>();
const functions = new Map<string, number>();
let loadingUs = 0;
for (const [id, us] of self) {
  const n = byId.get(id)!;
  if (loading(id)) loadingUs += us;
  const a = area(n);
  areas.set(a, (areas.get(a) ?? 0) + us);
  const { functionName, url, lineNumber } = n.callFrame;
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
}
const pct = (us: number) => `${((us / total) * 100).toFixed(1)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled; under module loading ${pct(loadingUs)}`);
console.log('\n| area (self time) | share |\n|---|---:|');
for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`| ${a} | ${pct(us)} |`);
console.log('\n| function (self time) | share |\n|---|---:|');
for (const [f, us] of [...functions].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`| ${f} | ${pct(us)} |`);

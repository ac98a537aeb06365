// Static checks of the container image recipe: no Docker engine runs here, so what can be
// known without building it is checked by reading the Dockerfile, .dockerignore, the lockfile
// and a real `tsc` build of what the build stage compiles.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './chart-gen.js';
import { chartValues, tempDir, type Json } from './helpers.js';

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped, split into stages. */
export function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      const next = lines[i]!;
      line = line.replace(/\\\s*$/, ' ') + (/^\s*#/.test(next) ? '' : next.trim());
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse ${JSON.stringify(line)}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.replace(/\s+/g, ' ').trim();
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ from: f[1]!, ...(f[2] ? { name: f[2] } : {}), instructions: [] });
    } else if (!stages.length && op === 'ARG') {
      const [k, v = ''] = args.split('=');
      globalArgs.set(k!, v);
    } else stages.at(-1)!.instructions.push({ op, args, line: start });
  }
  return { globalArgs, stages };
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const build = dockerfile.stages.find((s) => s.name === 'build')!;
const runtime = dockerfile.stages.at(-1)!;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };
const all = (s: Stage, op: string) => s.instructions.filter((i) => i.op === op);
const resolveImage = (from: string) => from.replace(/\$\{?(\w+)\}?/g, (_, k: string) => dockerfile.globalArgs.get(k) ?? '');
const jsonArray = (s: string) => JSON.parse(s) as string[];

/** COPY sources (local ones, or `--from` stage paths). */
function copies(s: Stage): { from?: string; sources: string[]; dest: string }[] {
  return all(s, 'COPY').map((c) => {
    const parts = c.args.split(' ');
    const from = parts.find((p) => p.startsWith('--from='))?.slice(7);
    const paths = parts.filter((p) => !p.startsWith('--'));
    return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)! };
  });
}

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, both on a Node LTS slim image pinned by digest, of the Node major CI tests on', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    expect(build).toBeDefined();
    expect(runtime).not.toBe(build);
    // scripts/fetch-node.mjs fetches the Node that .ci/run runs the suite on a second time
    const ciNode = /NODE_VERSION = '(\d+)\.\d+\.\d+'/.exec(readFileSync(join(ROOT, 'scripts', 'fetch-node.mjs'), 'utf8'));
    expect(ciNode, 'NODE_VERSION in scripts/fetch-node.mjs').not.toBeNull();
    const major = Number(ciNode![1]);
    expect(major % 2, 'an even Node major (odd ones never become LTS)').toBe(0);
    expect(major).toBeGreaterThanOrEqual(26); // the Active LTS since 2026-10-28; 20 is out of support, 22 and 24 in maintenance
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/node_bin=\$\(node scripts\/fetch-node\.mjs\)/);
    expect(ci).toMatch(/PATH="\$node_bin:\$PATH" npx vitest run/);
    for (const s of [build, runtime]) expect(resolveImage(s.from)).toMatch(new RegExp(`^node:${major}([.\\d]*)?-(bookworm|trixie)-slim@sha256:[a-f0-9]{64}$`));
    const buildRuns = all(build, 'RUN').map((r) => r.args);
    expect(buildRuns.some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r))).toBe(true); // the full toolchain
    expect(buildRuns.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
  });

  it('installs production dependencies only in the runtime stage, and copies no sources, tests or dev tooling into it', () => {
    const runs = all(runtime, 'RUN').map((r) => r.args);
    const installs = runs.filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/\bnpm ci\b[^&]*--omit=dev/);
    const c = copies(runtime);
    const fromBuild = c.filter((x) => x.from === 'build').flatMap((x) => x.sources);
    expect(fromBuild).toEqual(['/src/dist']); // compiled JS only
    const local = c.filter((x) => !x.from).flatMap((x) => x.sources);
    expect(local.sort()).toEqual(['content', 'examples', 'package-lock.json', 'package.json']);
    for (const s of [...local, ...fromBuild]) expect(s).not.toMatch(/(^|\/)(src|test|bench|transforms|node_modules|tsconfig[^/]*)$/);
  });

  it('needs no install scripts at runtime: no production dependency has one (so --ignore-scripts is safe)', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages).filter(([k, v]) => k && !v.dev && v.hasInstallScript).map(([k]) => k);
    expect(withScripts).toEqual([]);
    expect(all(runtime, 'RUN').find((r) => /npm ci/.test(r.args))!.args).toContain('--ignore-scripts');
  });

  it('runs as a fixed numeric non-root user that owns /data, the same UID the chart runs as', () => {
    const users = all(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const last = users.at(-1)!;
    const m = /^(\d+)(?::(\d+))?$/.exec(last.args);
    expect(m, `USER ${last.args} must be numeric (runAsNonRoot can only verify a numeric UID)`).not.toBeNull();
    const uid = Number(m![1]);
    expect(uid).toBeGreaterThan(0);
    expect(Number(m![2] ?? uid)).toBeGreaterThan(0);
    // nothing runs as root after the switch
    expect(runtime.instructions.slice(runtime.instructions.indexOf(last)).filter((i) => i.op === 'RUN')).toEqual([]);
    const runs = all(runtime, 'RUN').map((r) => r.args).join(' ');
    expect(runs).toMatch(new RegExp(`chown (${uid}:${uid}|${uid}) /data`));
    const pod = chartValues().podSecurityContext as Json;
    expect(pod.runAsUser).toBe(uid);
    expect(pod.fsGroup).toBe(Number(m![2] ?? uid));
  });

  it('caps the V8 heap at 75 % of the chart\'s default memory limit, as the chart does', () => {
    const env = all(runtime, 'ENV').map((e) => e.args).join(' ');
    const heap = /NODE_OPTIONS="?--max-old-space-size=(\d+) --max-semi-space-size=4"?(\s|$)/.exec(env);
    expect(heap, 'ENV NODE_OPTIONS="--max-old-space-size=<MiB> --max-semi-space-size=4" in the runtime stage').not.toBeNull();
    const limit = /^(\d+)(Mi|Gi)$/.exec(String(((chartValues().resources as Json).limits as Json).memory));
    expect(limit, 'resources.limits.memory in Mi or Gi').not.toBeNull();
    const limitMib = Number(limit![1]) * (limit![2] === 'Gi' ? 1024 : 1);
    expect(Number(heap![1])).toBe(Math.floor(limitMib * 0.75));
  });

  it('fixes glibc malloc\'s mmap threshold at 128 KiB on a glibc base image (freed large buffers leave the process)', () => {
    const env = all(runtime, 'ENV').map((e) => e.args).join(' ');
    expect(env).toMatch(/(^|\s)MALLOC_MMAP_THRESHOLD_=131072(\s|$)/);
    // musl (Alpine) ignores glibc's variables: the setting needs a Debian-based image.
    expect(resolveImage(runtime.from)).toMatch(/-(bookworm|trixie|bullseye)(-slim)?@/);
  });

  it('declares the data volume, the metrics port, OCI labels, and ENTRYPOINT ["zsf"] with CMD run --config /etc/zsf/config.yaml', () => {
    expect(all(runtime, 'VOLUME').map((v) => v.args)).toEqual(['["/data"]']);
    expect(all(runtime, 'EXPOSE').map((v) => v.args)).toEqual(['9464']);
    const labels = all(runtime, 'LABEL').map((l) => l.args).join(' ');
    for (const k of ['source', 'version', 'licenses', 'revision', 'title']) expect(labels).toContain(`org.opencontainers.image.${k}=`);
    expect(labels).toContain('org.opencontainers.image.licenses="Apache-2.0"');
    expect(jsonArray(all(runtime, 'ENTRYPOINT').at(-1)!.args)).toEqual(['zsf']);
    expect(jsonArray(all(runtime, 'CMD').at(-1)!.args)).toEqual(['run', '--config', '/etc/zsf/config.yaml']);
    // the chart starts the same command and mounts its ConfigMap there
    const sts = readFileSync(join(ROOT, 'helm/zendesk-siem-forwarder/templates/statefulset.yaml'), 'utf8');
    expect(sts).toMatch(/args:\s*\n\s*- run\s*\n\s*- --config\s*\n\s*- \/etc\/zsf\/config\.yaml/);
    expect(sts).toMatch(/mountPath: \/etc\/zsf\n/);
  });

  it('puts a `zsf` on PATH that is the package bin entry, executable, inside what is copied from the build stage', () => {
    const runs = all(runtime, 'RUN').map((r) => r.args).join(' && ');
    const link = /ln -s (\S+) \/usr\/local\/bin\/zsf\b/.exec(runs);
    expect(link).not.toBeNull();
    const workdir = all(runtime, 'WORKDIR').at(-1)!.args;
    const distCopy = copies(runtime).find((x) => x.from === 'build')!;
    const distDest = join(workdir, distCopy.dest);
    const target = link![1]!;
    expect(target.startsWith(`${distDest}/`)).toBe(true);
    expect(relative(workdir, target)).toBe(pkg.bin.zsf);
    expect(runs).toMatch(new RegExp(`chmod 0?755 ${target.replace(/\./g, '\\.')}`));
    // /usr/local/bin is on the node image's PATH; nothing overrides PATH here
    expect(all(runtime, 'ENV').some((e) => /\bPATH=/.test(e.args))).toBe(false);
  });

  it(
    'compiles (tsconfig.build.json, as `npm run build` does) to a dist/ with the entry point, whose imports are only Node built-ins and production dependencies',
    () => {
      expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json');
      const out = tempDir('zsf-build-');
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, stdio: 'pipe' });
      // bin "dist/src/cli/main.js" -> <outDir>/src/cli/main.js
      const entry = join(out, (pkg.bin.zsf ?? '').replace(/^dist\//, ''));
      expect(existsSync(entry)).toBe(true);
      expect(readFileSync(entry, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
      // every file the build stage compiles comes from src/ and transforms/, which it copies
      expect(readdirSync(out).sort()).toEqual(['src', 'transforms']);
      const builtins = new Set([...builtinModules, ...builtinModules.map((b) => `node:${b}`)]);
      const bare = new Set<string>();
      const walk = (d: string) => {
        for (const e of readdirSync(d)) {
          const p = join(d, e);
          if (statSync(p).isDirectory()) walk(p);
          else if (p.endsWith('.js')) {
            for (const m of readFileSync(p, 'utf8').matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
              const spec = (m[1] ?? m[2] ?? m[3])!;
              if (spec.startsWith('.')) {
                expect(existsSync(join(d, spec)), `${relative(out, p)} imports ${spec}, which the build did not emit`).toBe(true);
              } else if (!builtins.has(spec)) bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
            }
          }
        }
      };
      walk(out);
      expect(bare.size).toBeGreaterThan(5); // the scan sees the imports at all
      const notProduction = [...bare].filter((b) => !(b in pkg.dependencies));
      expect(notProduction, 'imported at runtime but not in "dependencies" (npm ci --omit=dev would leave them out)').toEqual([]);
      // ...and the other way round: a production dependency is imported by the compiled code, or
      // needed by one that is (a dependency or peer of another production package, like
      // @opentelemetry/api). One only tests import belongs in devDependencies, out of the image.
      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; dependencies?: Record<string, string>; peerDependencies?: Record<string, string> }> };
      const neededByAnother = (name: string) => Object.entries(lock.packages).some(([k, v]) => k && k !== `node_modules/${name}` && !v.dev && (v.dependencies?.[name] ?? v.peerDependencies?.[name]));
      const unused = Object.keys(pkg.dependencies).filter((d) => !bare.has(d) && !neededByAnother(d));
      expect(unused, 'in "dependencies" but nothing in dist/ needs them: move them to devDependencies').toEqual([]);
    },
    120_000,
  );
});

describe('.dockerignore', () => {
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const ignored = (path: string) => ignore.some((p) => p === path || p === `${path}/` || p === `/${path}`);

  it('keeps node_modules, local data, build output, git metadata and secrets out of the build context', () => {
    for (const p of ['node_modules', 'data', '.git', 'dist', '.tmp', 'coverage']) expect(ignored(p), p).toBe(true);
    expect(ignore).toContain('**/.env');
  });

  it('does not exclude anything the Dockerfile copies from the context', () => {
    const local = dockerfile.stages.flatMap((s) => copies(s).filter((c) => !c.from).flatMap((c) => c.sources));
    expect(local).toContain('src');
    for (const src of local) {
      expect(ignored(src), `${src} is copied but excluded by .dockerignore`).toBe(false);
      expect(existsSync(join(ROOT, src)), `${src} is copied but does not exist`).toBe(true);
    }
  });
});

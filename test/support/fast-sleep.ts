// The pipeline takes its `sleep` as an option; tests pass this one so that backoffs and
// Retry-After waits are observable (recorded) without being waited out.

import { sleep } from '../../src/core/retry.js';

export interface FastSleepOptions {
  /** Longest real wait, in ms (default 10). */
  capMs?: number;
  /** Only waits of at least this many ms are shortened; shorter ones pass unchanged (default 0: all). */
  fromMs?: number;
  /** Every requested wait (before shortening) is pushed here, for assertions on backoffs. */
  record?: number[];
}

/** A drop-in for the pipeline's `sleep` that records the waits asked for and shortens them. */
export function fastSleep(opts: FastSleepOptions = {}): (ms: number, signal?: AbortSignal) => Promise<void> {
  const { capMs = 10, fromMs = 0, record } = opts;
  return (ms, signal) => {
    record?.push(ms);
    return sleep(ms >= fromMs ? Math.min(ms, capMs) : ms, signal);
  };
}

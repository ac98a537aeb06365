// A driver whose module is imported on first use, so that a sink's SDK (AWS, OpenTelemetry,
// Parquet) costs start-up time and memory only when that sink is configured: the sink's
// registration and config schema stay cheap to load (`zsf validate`, `--help`, every other sink).
//
// Validate the config synchronously in the plugin's `create` before calling this: an error
// found here surfaces on first use (a failed healthcheck, then retried sends), not at start-up.

import { describeError } from '../../core/retry.js';
import type { SinkDriver } from '../../core/types.js';

export function lazyDriver(sink: string, load: () => Promise<SinkDriver>): SinkDriver {
  // Start loading now, next to the rest of the start-up, rather than on the first batch.
  const loading = load().catch((err: unknown) => {
    throw new Error(`sink ${sink}: its driver module could not be loaded: ${describeError(err)}`);
  });
  loading.catch(() => undefined); // reported on first use
  let driver: SinkDriver | undefined;
  const get = async (): Promise<SinkDriver> => (driver ??= await loading);
  return {
    async healthcheck(signal) {
      await (await get()).healthcheck?.(signal);
    },
    async send(events, signal, memo) {
      return (driver ?? (await get())).send(events, signal, memo);
    },
    async close() {
      // A driver that never loaded holds nothing to release.
      const d = await loading.catch(() => undefined);
      await d?.close?.();
    },
  };
}

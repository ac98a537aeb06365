// A transform for the worker pool tests: maps {n} to {mapped: prefix+n}, throws on `fail`,
// drops `drop`, and ends its worker thread on `crash`.

import type { PipelineEvent, Transform } from '../../src/core/types.js';

export function createWorkerTransform(o: { prefix: string }): Transform {
  return (e: PipelineEvent) => {
    if (e.body.crash) process.exit(3);
    if (e.body.fail) throw new Error(`cannot map ${String(e.body.n)}`);
    if (e.body.drop) return null;
    return { meta: { ...e.meta, schema: 'raw' }, body: { mapped: `${o.prefix}${String(e.body.n)}` } };
  };
}

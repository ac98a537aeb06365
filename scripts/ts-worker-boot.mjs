// Development only: starts a worker thread on a TypeScript module (src/core/pipeline/transform-pool.ts
// uses it when the product runs from its sources under tsx or vitest, which register no loader
// for worker threads). The built product starts its workers on the compiled .js directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

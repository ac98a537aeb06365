// What the sink pipeline tests (test/sinks/*-pipeline.test.ts) share: closing what a test
// started, and starting a pipeline whose waits are recorded but not waited out.

import { afterEach } from 'vitest';
import { startPipeline, type Pipeline } from '../../src/app/start.js';
import { captureLogs } from './capture-logs.js';
import { fastSleep } from './fast-sleep.js';

export type Cleanup = (close: () => Promise<unknown>) => void;

/** Call at a test file's top level: what is handed to the returned function is closed after each test, newest first. */
export function closeAfterEach(): Cleanup {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  return (close) => void closers.push(close);
}

/**
 * startPipeline without the API, logs captured, every sleep recorded into `sleeps` and capped at
 * 10 ms (so backoffs and Retry-After are observable without waiting them out); stopped by `cleanup`.
 */
export async function startSinkPipeline(cfg: unknown, cleanup: Cleanup, opts: { once?: boolean; sleeps?: number[] } = {}): Promise<Pipeline> {
  const p = await startPipeline(cfg, { once: opts.once ?? false, api: false, logDestination: captureLogs().stream, sleep: fastSleep({ record: opts.sleeps }) });
  cleanup(() => p.stop());
  return p;
}

/** 0, 1, …, n-1: the ids a generator source of `count: n` emits. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Retry waits short enough that a test sees several attempts in milliseconds. */
export const FAST_RETRY = { initialBackoff: '1ms', maxBackoff: '5ms', authBackoff: '5ms' };

/**
 * The config of a sink pipeline test: a generator source `gen` (account acme, 200 records in
 * batches of 50, overridable by `gen`), optional transforms, and one sink with fast retries and
 * no start-up healthcheck; `sink` gives its id, type, inputs and options.
 */
export function generatorToSink(dataDir: string, sink: Record<string, unknown>, opts: { gen?: Record<string, unknown>; transforms?: Record<string, unknown>[] } = {}) {
  return {
    dataDir,
    shutdownTimeout: '5s',
    sources: [{ id: 'gen', type: 'generator', account: 'acme', count: 200, batchSize: 50, ...opts.gen }],
    ...(opts.transforms ? { transforms: opts.transforms } : {}),
    sinks: [{ retry: FAST_RETRY, healthcheck: { enabled: false }, ...sink }],
  };
}

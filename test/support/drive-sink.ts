// Runs a sink driver through the core's sink runner (memory buffer, batching, retries,
// splits, resends, dead letters) without a whole pipeline, for driver tests whose outcome
// depends on what the core does with the driver's answers.

import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { SinkConfig } from '../../src/config/schema.js';
import { MemoryBuffer } from '../../src/core/buffers/memory.js';
import { startSinkRunner } from '../../src/core/sink-runner.js';
import { sleep } from '../../src/core/retry.js';
import { toSinkEvent, type ComponentContext, type PipelineEvent, type SinkDriver } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';

export interface Delivered {
  /** Dead-lettered events, as indices into the events given, with their reasons. */
  deadLetters: { index: number; reason: string }[];
  sent: number;
}

export interface TestSinkRunner {
  runner: ReturnType<typeof startSinkRunner>;
  buffer: MemoryBuffer;
  metrics: ReturnType<typeof createMetrics>;
}

/**
 * The core's sink runner on a memory buffer of its own, with fast retries and real (abortable)
 * sleeps; the caller pushes into `buffer` and stops `runner`.
 */
export function startTestSinkRunner(
  driver: SinkDriver,
  o: {
    batch?: { maxEvents: number; maxBytes: number };
    concurrency?: number;
    requestTimeout?: number;
    bufferEvents?: number;
    deadLetter?: ComponentContext['deadLetter'];
    fail?: ComponentContext['fail'];
  } = {},
): TestSinkRunner {
  const metrics = createMetrics();
  const maxEvents = o.bufferEvents ?? 1_000_000;
  const buffer = new MemoryBuffer({ sink: 's', maxEvents, maxBytes: 1 << 30, whenFull: 'block', metrics });
  const config = {
    id: 's',
    type: 'test',
    inputs: ['x'],
    buffer: { type: 'memory', maxEvents, maxBytes: 1 << 30, whenFull: 'block' },
    batch: { ...(o.batch ?? { maxEvents: 1000, maxBytes: 64 * 1024 * 1024 }), maxWait: 0 },
    concurrency: o.concurrency ?? 1,
    requestTimeout: o.requestTimeout ?? 10_000,
    retry: { initialBackoff: 1, maxBackoff: 5, authBackoff: 1 },
    healthcheck: { enabled: false },
  } as SinkConfig;
  const runner = startSinkRunner({
    config,
    driver,
    buffer,
    ctx: {
      id: 's',
      logger: pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() })),
      metrics,
      deadLetter: o.deadLetter ?? (async () => undefined),
      fail: o.fail ?? (() => undefined),
      setHealthy: () => undefined,
      now: Date.now,
      random: Math.random,
      sleep,
    },
  });
  return { runner, buffer, metrics };
}

export async function deliverThroughCore(driver: SinkDriver, events: PipelineEvent[], batch = { maxEvents: 1000, maxBytes: 64 * 1024 * 1024 }): Promise<Delivered> {
  const deadLetters: Delivered['deadLetters'] = [];
  const failures: string[] = [];
  const { runner, buffer, metrics } = startTestSinkRunner(driver, {
    batch,
    deadLetter: async (d) => {
      const meta = (d.payload as { meta: PipelineEvent['meta'] }).meta;
      deadLetters.push({ index: events.findIndex((e) => e.meta === meta || e.meta.id === meta.id), reason: d.detail ?? d.reason });
    },
    fail: (reason) => void failures.push(reason),
  });
  buffer.setFlushMode(true);
  await buffer.push(events.map(toSinkEvent).map((event) => ({ event, bytes: event.bytes })));
  await buffer.whenEmpty();
  await runner.stop();
  if (failures.length) throw new Error(failures.join('; '));
  const sent = (await metrics.sinkEventsSent.get()).values.reduce((a, v) => a + v.value, 0);
  return { deadLetters: deadLetters.sort((a, b) => a.index - b.index), sent };
}

// What the sink benchmarks share: a BuildEnv without a pipeline, OCSF events from the
// generator, batches cut the way the core cuts them, and a driver driven at a concurrency.

import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { z } from 'zod';
import { sectionDefault, type BuildEnv } from '../src/core/plugin.js';
import { recordToEvent, toSinkEvent, type PipelineEvent, type SinkDriver, type SinkEvent } from '../src/core/types.js';
import { createMetrics } from '../src/observability/metrics.js';
import { Secrets } from '../src/observability/secrets.js';
import { generateRecord } from '../src/sources/generator.js';
import { ocsfTransform } from '../transforms/ocsf/index.js';
import { schemaOptions } from '../transforms/schema-transform.js';

const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

export function benchEnv(id: string, secrets: string[] = []): BuildEnv {
  const s = new Secrets();
  for (const v of secrets) s.add(v);
  return {
    id,
    dataDir: tmpdir(),
    resolvePath: (p) => p,
    logger: pino({ level: 'warn' }, quiet()),
    metrics: createMetrics(),
    secrets: s,
    section: sectionDefault,
    shared: <T>(_k: string, make: () => T) => make(),
  };
}

const START = Date.parse('2026-01-01T00:00:00Z');
let mapper: ((e: PipelineEvent) => unknown) | undefined;

/** OCSF event number `i` (deterministic: generator record `i` through the ocsf transform). */
export function ocsfEvent(i: number): PipelineEvent[] {
  mapper ??= ocsfTransform.create({ id: 'ocsf', type: 'ocsf', inputs: ['gen'], ...z.strictObject(schemaOptions).parse({}) } as never, benchEnv('ocsf'));
  const r = mapper(recordToEvent(generateRecord(i, 'acme', 'audit_log', START, 42)));
  if (Array.isArray(r)) return r as PipelineEvent[];
  return r && !(r instanceof Promise) ? [r as PipelineEvent] : [];
}

/**
 * Cut batches the way the core does: up to maxEvents, and up to maxBytes of JSON body bytes.
 * Each event is serialised here, as the core's fan-out does before a sink sees it, so the
 * driver figures do not include that one JSON.stringify per event.
 */
export function batches(events: PipelineEvent[], maxEvents: number, maxBytes: number): SinkEvent[][] {
  const out: SinkEvent[][] = [];
  let cur: SinkEvent[] = [];
  let bytes = 0;
  for (const pe of events) {
    const e = toSinkEvent(pe);
    const b = e.bytes;
    if (cur.length && (cur.length >= maxEvents || bytes + b > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Sends every batch through `driver` with `concurrency` requests in flight; any non-ok outcome fails the bench. */
export async function drive(driver: SinkDriver, work: SinkEvent[][], concurrency: number, timeoutMs = 60_000): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < work.length) {
        const out = await driver.send(work[next++]!, AbortSignal.timeout(timeoutMs));
        if (out.kind !== 'ok') throw new Error(`send failed: ${JSON.stringify(out)}`);
      }
    }),
  );
}

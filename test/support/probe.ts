// Test-only components: a sink whose every answer the test decides, a transform that fails on
// chosen records, and reading back the dead letters a run wrote.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineSink } from '../../src/core/plugin.js';
import type { PipelineEvent, SendOutcome } from '../../src/core/types.js';
import { sinkPlugins } from '../../src/sinks/index.js';

export type ProbeBehaviour = (events: PipelineEvent[], call: number, signal: AbortSignal) => Promise<SendOutcome> | SendOutcome;

export interface Probe {
  behaviour: ProbeBehaviour;
  calls: PipelineEvent[][];
  accepted: PipelineEvent[];
}

const probes = new Map<string, Probe>();

/** A probe sink named `name`; its answers come from `behaviour` (default: accept). */
export function probe(name: string, behaviour: ProbeBehaviour = () => ({ kind: 'ok' })): Probe {
  const p: Probe = { behaviour, calls: [], accepted: [] };
  probes.set(name, p);
  return p;
}

export const probeSink = defineSink({
  type: 'probe',
  description: 'test probe',
  options: { probe: z.string(), token: z.string().optional().describe('a secret the probe may leak in its errors (canary tests)') },
  defaults: { maxEvents: 100, maxBytes: 1024 * 1024, maxWaitMs: 10, concurrency: 1 },
  create(config) {
    return {
      async send(events, signal) {
        const p = probes.get(config.probe);
        if (!p) throw new Error(`no probe ${config.probe}`);
        p.calls.push(events);
        const outcome = await p.behaviour(events, p.calls.length, signal);
        if (outcome.kind === 'ok') p.accepted.push(...events);
        if (outcome.kind === 'partial' && !outcome.resendRest) {
          const rejected = new Set(outcome.rejected.map((r) => r.index));
          p.accepted.push(...events.filter((_, i) => !rejected.has(i)));
        }
        return outcome;
      },
    };
  },
});

if (!sinkPlugins.some((p) => p.type === 'probe')) sinkPlugins.push(probeSink);

// Many tests import these from here; each has its own file in test/support.
export { captureLogs } from './capture-logs.js';
export { tempDir } from './temp-dir.js';

/** Resolves after `n` macrotask turns: lets already-scheduled I/O callbacks run, no wall-clock wait. */
export async function settle(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

import { defineTransform } from '../../src/core/plugin.js';
import { transformPlugins } from '../../transforms/index.js';

/** A transform that fails for ids divisible by `failEvery` and tags the rest. */
export const probeTransform = defineTransform({
  type: 'probe_transform',
  description: 'test transform',
  options: { failEvery: z.number().int().min(1).default(1_000_000_000) },
  create(config) {
    return (e) => {
      const id = Number(e.body.id);
      if (id % config.failEvery === 0) throw new Error(`cannot map record ${id}: missing field`);
      return { meta: { ...e.meta, schema: 'raw' }, body: { ...e.body, mapped: true } };
    };
  },
});
if (!transformPlugins.some((p) => p.type === 'probe_transform')) transformPlugins.push(probeTransform);

/** Reads every dead letter written under dataDir. */
export function readDeadLetters(dataDir: string): { component: string; reason: string; detail?: string; kind: string; payload: unknown }[] {
  const dir = join(dataDir, 'dead-letter');
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files.flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { component: string; reason: string; kind: string; payload: unknown }),
  );
}

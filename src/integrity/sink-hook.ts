// What an archive sink (s3, file) calls to take part in the integrity chain, kept here so
// the sinks only gain a few clearly named calls.

import type { Readable } from 'node:stream';
import type { BuildEnv } from '../core/plugin.js';
import type { PipelineEvent } from '../core/types.js';
import { chainIdOf } from './chain.js';
import { headsHub } from './heads-source.js';
import type { IntegrityConfig } from './config.js';
import type { ArchiveStore } from './store.js';
import { createIntegrityWriter, type ChainedObject, type IntegrityWriter } from './writer.js';

/** The sink's integrity writer, or undefined when `integrity.enabled` is not set. */
export function createSinkIntegrity(config: IntegrityConfig | undefined, env: BuildEnv, store: () => ArchiveStore): IntegrityWriter | undefined {
  if (!config?.enabled) return undefined;
  env.secrets.add(config.signingKey);
  const hub = headsHub(env);
  return createIntegrityWriter({ sink: env.id, dataDir: env.dataDir, store: store(), config, logger: env.logger, onSignedHead: (head) => hub.publish(env.id, head) });
}

/** The chain an event belongs to (account × stream × schema); one object never mixes chains. */
export const integrityChainOf = (e: PipelineEvent): string => chainIdOf(e.meta);

/** The chain description of one group of events stored as `key`. */
export function chainedObject(events: readonly PipelineEvent[], key: string, bytes: Buffer): ChainedObject {
  const first = events[0]!;
  const last = events[events.length - 1]!;
  return {
    chain: integrityChainOf(first),
    key,
    bytes,
    records: events.map((e) => ({ id: e.meta.id, time: e.meta.time })),
    attemptId: `${integrityChainOf(first)}|${events.length}|${first.meta.id}|${last.meta.id}`,
  };
}

/** The whole encoded object in memory: the bytes hashed into the chain are exactly the bytes uploaded. */
export async function collectBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

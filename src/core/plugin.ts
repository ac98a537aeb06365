// What a component type contributes: its own config schema and a factory.
// The config loader composes these shapes with the common fields
// (id, type, inputs, and for sinks: buffer, batch, retry...).

import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { SinkDriver, Source, Transform } from './types.js';
import type { Secrets } from '../observability/secrets.js';

export interface BuildEnv {
  /** Component id from the config. */
  id: string;
  dataDir: string;
  /** Resolves a path from the config relative to the config file's folder. */
  resolvePath(path: string): string;
  logger: Logger;
  metrics: Metrics;
  secrets: Secrets;
  /** The whole validated config, for components that need shared sections (e.g. zendesk.accounts). */
  config: unknown;
  /** Shared per-process resources keyed by name (e.g. one Zendesk client per account). */
  shared<T>(key: string, make: () => T): T;
  /** A config value read again if it came from `${file:...}` (rotated secrets), by path such as `zendesk.accounts[0].auth.token`. */
  reread?(path: string): string | undefined;
}

/** `options` is a zod object *shape*: the plugin's own keys, merged into the component schema. */
export interface SourcePlugin<S extends z.ZodRawShape = z.ZodRawShape> {
  type: string;
  description: string;
  options: S;
  create(config: z.infer<z.ZodObject<S>> & { id: string; type: string }, env: BuildEnv): Source;
}

export interface TransformPlugin<S extends z.ZodRawShape = z.ZodRawShape> {
  type: string;
  description: string;
  options: S;
  create(config: z.infer<z.ZodObject<S>> & { id: string; type: string; inputs: string[] }, env: BuildEnv): Transform;
}

export interface SinkDefaults {
  /** Batch limits that suit the destination (e.g. HEC 1 MB, Datadog 1000 events / 5 MB). */
  maxEvents: number;
  maxBytes: number;
  maxWaitMs: number;
  concurrency: number;
  /** Per-request timeout default when it must differ from 30 s (e.g. a whole S3 object). */
  requestTimeoutMs?: number;
}

/** Common sink options the config loader adds to every sink; drivers read the ones they need (e.g. to warn about limits). */
export interface SinkCommonOptions {
  batch: { maxEvents: number; maxBytes: number; maxWait: number };
  concurrency: number;
  requestTimeout: number;
}

export interface SinkPlugin<S extends z.ZodRawShape = z.ZodRawShape> {
  type: string;
  description: string;
  options: S;
  defaults: SinkDefaults;
  create(config: z.infer<z.ZodObject<S>> & { id: string; type: string; inputs: string[] } & SinkCommonOptions, env: BuildEnv): SinkDriver;
}

// The define* helpers keep each plugin's config type precise inside the plugin, and erase it
// for the registries (which only hand the plugin configs its own schema has validated).
export function defineSource<S extends z.ZodRawShape>(p: SourcePlugin<S>): SourcePlugin {
  return p as unknown as SourcePlugin;
}
export function defineTransform<S extends z.ZodRawShape>(p: TransformPlugin<S>): TransformPlugin {
  return p as unknown as TransformPlugin;
}
export function defineSink<S extends z.ZodRawShape>(p: SinkPlugin<S>): SinkPlugin {
  return p as unknown as SinkPlugin;
}

// The plugin contract, owned by the core: what a component type contributes (its own config
// schema, a factory, and optionally top-level config sections such as `zendesk`), and the
// Registry the edge (src/app) builds from the plugin lists and hands to the config schema and
// to the pipeline. The core itself names no plugin.

import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { SinkDriver, Source, Transform } from './types.js';
import type { WorkerRecipe } from './pipeline/transform-pool.js';
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
  /** A top-level config section (e.g. `zendesk`), parsed by its schema; its default when the config has none. */
  section<T>(section: ConfigSection<T>): T;
  /** Shared per-process resources keyed by name (e.g. one Zendesk client per account). */
  shared<T>(key: string, make: () => T): T;
  /** A config value read again if it came from `${file:...}` (rotated secrets), by path such as `zendesk.accounts[0].auth.token`. */
  reread?(path: string): string | undefined;
}

/**
 * A top-level config section that belongs to a plugin family rather than to one component
 * (the Zendesk sources' `zendesk.accounts`). Its schema must accept `undefined` (a default),
 * so a config without the section is valid.
 */
export interface ConfigSection<T = unknown> {
  /** The top-level key in the config file. */
  key: string;
  schema: z.ZodType<T>;
  /** Checks across the config once everything parsed (e.g. every source names a known account); one message per problem. */
  check?(value: T, config: { sources: readonly { id: string; type: string; [k: string]: unknown }[] }): string[];
}

/** The value of a section that a config does not mention. */
export function sectionDefault<T>(section: ConfigSection<T>): T {
  return section.schema.parse(undefined);
}

/** Every component type and section a run knows: built at the edge (src/app/registry.ts). */
export interface Registry {
  sources: SourcePlugin[];
  transforms: TransformPlugin[];
  sinks: SinkPlugin[];
  /** Sections not contributed by a plugin's own `sections`. */
  sections?: ConfigSection[];
}

/** The registry's sections: its own and those its plugins contribute, each once. */
export function registrySections(registry: Registry): ConfigSection[] {
  const all = [...(registry.sections ?? []), ...[...registry.sources, ...registry.transforms, ...registry.sinks].flatMap((p) => p.sections ?? [])];
  return [...new Set(all)];
}

interface PluginBase<S extends z.ZodRawShape> {
  type: string;
  description: string;
  /** A zod object *shape*: the plugin's own keys, merged into the component schema. */
  options: S;
  /** Top-level config sections this plugin reads through `env.section(...)`. */
  sections?: ConfigSection[];
}

export interface SourcePlugin<S extends z.ZodRawShape = z.ZodRawShape> extends PluginBase<S> {
  create(config: z.infer<z.ZodObject<S>> & { id: string; type: string }, env: BuildEnv): Source;
}

export interface TransformPlugin<S extends z.ZodRawShape = z.ZodRawShape> extends PluginBase<S> {
  create(config: z.infer<z.ZodObject<S>> & { id: string; type: string; inputs: string[] }, env: BuildEnv): Transform;
  /**
   * How a transform worker rebuilds this transform (optional): given, the transform may run in
   * the worker pool (`workers`). The recipe's transform must behave exactly as `create`'s, its
   * state kept per account (each account's events reach one worker).
   */
  worker?(config: z.infer<z.ZodObject<S>> & { id: string; type: string; inputs: string[] }, env: BuildEnv): WorkerRecipe;
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

export interface SinkPlugin<S extends z.ZodRawShape = z.ZodRawShape> extends PluginBase<S> {
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

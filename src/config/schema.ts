// The whole config file as one zod schema, composed from a registry of component types and
// sections (built at the edge, src/app/registry.ts): this module names no plugin.
// Every object is strict: a misspelt key is an error, never silently ignored.

import { z } from 'zod';
import { registrySections, type Registry, type SinkPlugin, type SourcePlugin, type TransformPlugin } from '../core/plugin.js';
import type { SinkRunConfig } from '../core/sink-runner.js';
import { allowInsecureHttp, checkEndpointSchemes, ENDPOINT_KEYS } from '../sinks/shared/http-options.js';
import { duration, size } from './units.js';
import { DEFAULT_RECORD_LIMITS } from '../core/record-limits.js';

const componentId = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/, 'expected an id of letters, digits, - and _ starting with a letter (max 64)');
const inputs = z.array(componentId).min(1, 'list at least one input (a source or transform id)');

const whenFull = z.enum(['block', 'drop_newest']).default('block').describe('block: slow everything upstream down (no loss); drop_newest: drop and count');

export const memoryBuffer = z.strictObject({
  type: z.literal('memory'),
  maxEvents: z.number().int().min(1).default(10_000),
  maxBytes: size({ min: 1024 }).default(64 * 1024 * 1024),
  whenFull,
});
export const diskBuffer = z.strictObject({
  type: z.literal('disk'),
  maxBytes: size({ min: 1024 * 1024 }).describe('Bound on unacknowledged bytes on disk').default(1024 ** 3),
  segmentBytes: size({ min: 4096 }).default(16 * 1024 * 1024).describe('Size at which the buffer starts a new segment file'),
  whenFull,
});
export const bufferSchema = z
  .discriminatedUnion('type', [memoryBuffer, diskBuffer])
  .default({ type: 'memory', maxEvents: 10_000, maxBytes: 64 * 1024 * 1024, whenFull: 'block' });

function commonSinkShape(p: SinkPlugin) {
  const d = p.defaults;
  return {
    buffer: bufferSchema,
    batch: z
      .strictObject({
        maxEvents: z.number().int().min(1).default(d.maxEvents),
        maxBytes: size({ min: 1 }).default(d.maxBytes),
        maxWait: duration({ min: 0, max: 3_600_000 }).default(d.maxWaitMs),
      })
      .default({ maxEvents: d.maxEvents, maxBytes: d.maxBytes, maxWait: d.maxWaitMs }),
    concurrency: z.number().int().min(1).max(256).default(d.concurrency).describe('Requests in flight at once'),
    requestTimeout: duration({ min: 100 }).default(d.requestTimeoutMs ?? 30_000),
    retry: z
      .strictObject({
        initialBackoff: duration({ min: 1 }).default(500),
        maxBackoff: duration({ min: 1 }).default(60_000),
        maxAttempts: z.number().int().min(1).optional().describe('Give up (dead-letter) after this many attempts; default: retry forever, keeping the data'),
        authBackoff: duration({ min: 1 }).default(30_000).describe('First wait after a 401/403; doubles up to 5m'),
      })
      .default({ initialBackoff: 500, maxBackoff: 60_000, authBackoff: 30_000 }),
    healthcheck: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
    unhealthyAfter: duration({ min: 1000 })
      .default(60_000)
      .describe('Report the sink unhealthy on /readyz when every delivery attempt has failed for this long; the next success clears it'),
  };
}

function sourceSchema(p: SourcePlugin) {
  return z.strictObject({ id: componentId, type: z.literal(p.type), ...p.options }).describe(p.description);
}
function transformSchema(p: TransformPlugin) {
  return z.strictObject({ id: componentId, type: z.literal(p.type), inputs, ...p.options }).describe(p.description);
}
function sinkSchema(p: SinkPlugin) {
  // Any sink with an `endpoint` gets the plain-http guard (and its opt-out, when the plugin's
  // options do not already carry the shared HTTP options).
  const guarded = ENDPOINT_KEYS.some((k) => k in p.options);
  const extra = guarded && !('allowInsecureHttp' in p.options) ? { allowInsecureHttp } : {};
  const schema = z.strictObject({ id: componentId, type: z.literal(p.type), inputs, ...commonSinkShape(p), ...extra, ...p.options });
  return (guarded ? schema.superRefine((c, ctx) => checkEndpointSchemes(c as Record<string, unknown>, ctx)) : schema).describe(p.description);
}

function union<T extends z.ZodType>(items: T[]) {
  if (items.length === 0) return z.never();
  return z.discriminatedUnion('type', items as unknown as [z.ZodObject, ...z.ZodObject[]]);
}

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]+):\d{1,5}$/, 'expected host:port such as "127.0.0.1:9464" or "0.0.0.0:9464"');

/** The fields every config has, whatever the registry. */
function commonShape() {
  return {
    dataDir: z.string().min(1).default('./data').describe('Checkpoints, disk buffers and dead letters live here'),
    shutdownTimeout: duration({ min: 0 }).default(30_000).describe('How long a stop may take to drain buffers before exiting'),
    api: z
      .strictObject({
        enabled: z.boolean().default(true),
        listen: listen.default('127.0.0.1:9464'),
      })
      .default({ enabled: true, listen: '127.0.0.1:9464' }),
    log: z
      .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') })
      .default({ level: 'info' }),
    limits: z
      .strictObject({
        maxRecordDepth: z.number().int().min(8).max(1000).default(DEFAULT_RECORD_LIMITS.maxDepth).describe('Deepest nesting of objects/arrays a source record may have; deeper records are dead-lettered (record_too_deep)'),
        maxRecordBytes: size({ min: 1024, max: 256 * 1024 * 1024 }).default(DEFAULT_RECORD_LIMITS.maxBytes).describe('Largest source record (JSON bytes); larger records are dead-lettered truncated (record_too_large)'),
      })
      .default({ maxRecordDepth: DEFAULT_RECORD_LIMITS.maxDepth, maxRecordBytes: DEFAULT_RECORD_LIMITS.maxBytes })
      .describe('Bounds on source records, checked before any transform'),
    sourceRestart: z
      .strictObject({
        initialBackoff: duration({ min: 1 }).default(5000).describe('Wait before restarting a failed source; doubles (with jitter) after every failure'),
        maxBackoff: duration({ min: 1 }).default(300_000).describe('Longest wait between restarts'),
      })
      .default({ initialBackoff: 5000, maxBackoff: 300_000 })
      .describe('A failed source restarts from its last checkpoint after a backoff (not with --once, which fails the run)'),
    workers: z
      .union([z.literal('auto'), z.number().int().min(0).max(64)])
      .default(0)
      .describe('Worker threads for the ocsf/ecs mapping and serialisation (0: on the main thread; "auto": the available CPUs). Each account is mapped by one worker. Off by default: on 2 cores it measured no faster and ~55 MB more memory (docs/performance.md, "Worker pool")'),
  };
}

function buildConfigSchema(registry: Registry) {
  // Sections (e.g. `zendesk`) sit between the common fields and the component lists, in the file's usual order.
  const sections = Object.fromEntries(registrySections(registry).map((s) => [s.key, s.schema]));
  return z.strictObject({
    ...commonShape(),
    ...sections,
    sources: z.array(union(registry.sources.map(sourceSchema))).min(1, 'configure at least one source'),
    transforms: z.array(union(registry.transforms.map(transformSchema))).default([]),
    sinks: z.array(union(registry.sinks.map(sinkSchema))).min(1, 'configure at least one sink'),
  });
}

// Built on first use per registry (and again if a registry grew, e.g. a test registering a probe sink).
const cached = new WeakMap<Registry, { key: string; schema: ReturnType<typeof buildConfigSchema> }>();
export function configSchema(registry: Registry) {
  const key = [registry.sources, registry.transforms, registry.sinks, registrySections(registry)].map((l) => l.map((p) => ('type' in p ? p.type : p.key)).join(',')).join('|');
  let entry = cached.get(registry);
  if (!entry || entry.key !== key) cached.set(registry, (entry = { key, schema: buildConfigSchema(registry) }));
  return entry.schema;
}

// Component entries are typed by their plugin; across the registry they share this shape.
// Sections are not in this type (they depend on the registry): plugins read theirs through
// BuildEnv.section, and the edge (src/app/config.ts) adds the ones it registered.
export type Config = z.infer<z.ZodObject<ReturnType<typeof commonShape>>> & {
  sources: ComponentConfig[];
  transforms: (ComponentConfig & { inputs: string[] })[];
  sinks: SinkConfig[];
};
export interface ComponentConfig {
  id: string;
  type: string;
  inputs?: string[];
  [k: string]: unknown;
}
export interface SinkConfig extends ComponentConfig {
  inputs: string[];
  buffer: z.infer<typeof bufferSchema>;
  batch: { maxEvents: number; maxBytes: number; maxWait: number };
  concurrency: number;
  requestTimeout: number;
  retry: { initialBackoff: number; maxBackoff: number; maxAttempts?: number; authBackoff: number };
  healthcheck: { enabled: boolean };
  unhealthyAfter: number;
}

// The core's runner reads a sink's common options as SinkRunConfig: what this schema produces
// must fit it (a compile-time check; nothing runs).
type CommonSinkOptions = z.infer<z.ZodObject<ReturnType<typeof commonSinkShape>>> & { id: string };
const commonSinkOptionsFitTheRunner = (c: CommonSinkOptions): SinkRunConfig => c;
void commonSinkOptionsFitTheRunner;
const sinkConfigFitsTheRunner = (c: SinkConfig): SinkRunConfig => c;
void sinkConfigFitsTheRunner;

export function componentTypes(registry: Registry) {
  return {
    sources: registry.sources.map((p) => p.type),
    transforms: registry.transforms.map((p) => p.type),
    sinks: registry.sinks.map((p) => p.type),
  };
}

/** JSON Schema of the config file, for editors (yaml-language-server). */
export function configJsonSchema(registry: Registry): unknown {
  return z.toJSONSchema(configSchema(registry), { io: 'input', unrepresentable: 'any' });
}

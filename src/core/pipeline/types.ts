// What the pipeline is given and what it hands back. The core defines the shapes it reads
// (PipelineInput, PipelineConfig, PipelineGraph); the config loader's LoadedConfig must fit
// them, which src/app/start.ts checks by passing one to runPipeline.

import type { DestinationStream, Logger } from 'pino';
import type { Metrics } from '../../observability/metrics.js';
import type { Secrets } from '../../observability/secrets.js';
import type { BatchHandle } from '../acks.js';
import type { EventBuffer } from '../buffers/buffer.js';
import type { DeadLetterInput } from '../dead-letter.js';
import type { SinkRunConfig } from '../sink-runner.js';
import type { PipelineEvent } from '../types.js';

/** One configured component: its id, type and the plugin's own options. */
export interface ComponentSpec {
  id: string;
  type: string;
  inputs?: string[];
  [k: string]: unknown;
}

/** The validated config fields the pipeline reads. Top-level sections (e.g. `zendesk`) ride along as extra keys. */
export interface PipelineConfig {
  dataDir: string;
  shutdownTimeout: number;
  api: { enabled: boolean; listen: string };
  log: { level: string };
  limits: { maxRecordDepth: number; maxRecordBytes: number };
  sourceRestart: { initialBackoff: number; maxBackoff: number };
  /** Transform worker threads (transform-pool.ts); absent: none. */
  workers?: number | 'auto';
  sources: ComponentSpec[];
  transforms: (ComponentSpec & { inputs: string[] })[];
  sinks: (ComponentSpec & SinkRunConfig)[];
}

export interface PipelineGraph {
  /** For each source/transform id: the ids of the transforms and sinks that read it. */
  downstream: Map<string, string[]>;
  kind: Map<string, 'source' | 'transform' | 'sink'>;
}

/** A loaded, validated config (src/config/load.ts makes one). */
export interface PipelineInput {
  config: PipelineConfig;
  graph: PipelineGraph;
  secrets: Secrets;
  /** Relative paths in the config are resolved against this folder. */
  baseDir: string;
  /** A config value read again if it came from `${file:...}` (rotated secrets). */
  reread?(path: string): string | undefined;
}

export interface RunOptions {
  /** Run sources until caught up, drain, commit and finish. */
  once?: boolean;
  /** Where JSON logs go (default stdout). */
  logDestination?: DestinationStream;
  logger?: Logger;
  /** Overrides config.api (tests use `{ listen: '127.0.0.1:0' }` or `false`). */
  api?: { listen: string } | false;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** `zsf dead-letters replay`: run this instead of the configured sources (see src/core/replay.ts). */
  replay?: ReplayHooks;
  /** Overrides config.workers. */
  workers?: number;
}

/** Re-enter events at a component: a source's downstream, a transform (run again), or one sink. */
export type InjectFn = (at: string, events: PipelineEvent[], handle: BatchHandle) => Promise<void>;

export interface ReplayHooks {
  /** Replaces the sources: injects the selected dead letters, then returns (the run drains like --once). */
  run(inject: InjectFn): Promise<void>;
  /** Sees (and may annotate) every dead letter written during the replay. */
  deadLetter(entry: DeadLetterInput): DeadLetterInput;
  /** Every sink gets a memory buffer (disk buffers belong to `zsf run`); the hook may wrap it. */
  buffer(sink: string, buffer: EventBuffer): EventBuffer;
}

export interface ComponentState {
  kind: 'source' | 'transform' | 'sink';
  state: 'starting' | 'running' | 'caught_up' | 'unhealthy' | 'failed' | 'stopped';
  reason?: string;
  /** A failed source waiting to restart: when (ISO 8601) and how many failures in a row. */
  restart?: { at: string; failures: number };
}

export interface PipelineResult {
  ok: boolean;
  failures: { component: string; reason: string }[];
}

export interface Pipeline<L extends PipelineInput = PipelineInput> {
  loaded: L;
  metrics: Metrics;
  logger: Logger;
  deadLetterDir: string;
  apiUrl?: string;
  components: Map<string, ComponentState>;
  /** Resolves when the run ends (--once: caught up and drained; otherwise after stop()). */
  done: Promise<PipelineResult>;
  stop(reason?: string): Promise<PipelineResult>;
}

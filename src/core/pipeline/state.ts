// The state one run shares between its parts: logger, metrics, dead letters, each component's
// state, and the two things every component is built with: its ComponentContext (runtime) and
// its BuildEnv (construction).

import { resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from '../../observability/logger.js';
import { createMetrics, type Metrics } from '../../observability/metrics.js';
import type { Secrets } from '../../observability/secrets.js';
import type { DataDirLock } from '../datadir-lock.js';
import { DeadLetterStore } from '../dead-letter.js';
import { sectionDefault, type BuildEnv, type ConfigSection } from '../plugin.js';
import { describeError, sleep as realSleep } from '../retry.js';
import type { ComponentContext } from '../types.js';
import type { ComponentState, PipelineConfig, PipelineInput, RunOptions } from './types.js';

export interface RunState {
  input: PipelineInput;
  config: PipelineConfig;
  opts: RunOptions;
  secrets: Secrets;
  now: () => number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  logger: Logger;
  metrics: Metrics;
  deadLetters: DeadLetterStore;
  components: Map<string, ComponentState>;
  contexts: Map<string, ComponentContext>;
  /** Shared per-process resources made by plugins (closed last on shutdown). */
  sharedResources: Map<string, unknown>;
  /** Aborted when the run stops: sources stop, pushes into full buffers give up. */
  sourceAbort: AbortController;
  setState(id: string, state: ComponentState['state'], reason?: string): void;
  /** Registers a component (state `starting`) and returns its context. */
  context(id: string, kind: ComponentState['kind']): ComponentContext;
  buildEnv(id: string): BuildEnv;
}

export function isDown(state: ComponentState['state']): boolean {
  return state === 'failed' || state === 'unhealthy';
}

export function createRunState(input: PipelineInput, opts: RunOptions, lock: DataDirLock): RunState {
  const { config, secrets } = input;
  const loaded = input;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? realSleep;
  const logger = opts.logger ?? createLogger({ level: config.log.level, secrets, ...(opts.logDestination ? { destination: opts.logDestination } : {}) });
  const metrics = createMetrics({ defaultMetrics: true });
  if (lock.takenOver) logger.warn({ lock: lock.path, previous: lock.takenOver.previous, reason: lock.takenOver.reason }, 'took over a stale dataDir lock');
  const deadLetters = new DeadLetterStore(config.dataDir, metrics, secrets, now);
  const components = new Map<string, ComponentState>();
  const contexts = new Map<string, ComponentContext>();
  const sharedResources = new Map<string, unknown>();
  const sourceAbort = new AbortController();

  const setState = (id: string, state: ComponentState['state'], reason?: string) => {
    const c = components.get(id);
    if (!c) return;
    c.state = state;
    delete c.restart;
    if (reason === undefined) delete c.reason;
    else c.reason = secrets.scrub(reason);
    metrics.componentUp.set({ component: id, kind: c.kind }, isDown(state) ? 0 : 1);
  };

  function context(id: string, kind: ComponentState['kind']): ComponentContext {
    components.set(id, { kind, state: 'starting' });
    const log = logger.child({ component: id });
    const fail = (reason: string) => {
      setState(id, 'failed', reason);
      log.error({ reason: secrets.scrub(reason) }, 'component failed');
    };
    const ctx: ComponentContext = {
      id,
      logger: log,
      metrics,
      // A dead letter replaces delivery; when it cannot be stored the item must stay upstream,
      // so the component fails loudly and the caller sees the rejection and does not ack.
      deadLetter: (entry) =>
        deadLetters.write(opts.replay ? opts.replay.deadLetter({ ...entry, component: id }) : { ...entry, component: id }).catch((err: unknown) => {
          const e = err as { path?: string; code?: string };
          log.error({ path: e.path, code: e.code, err: secrets.scrub(describeError(err)) }, 'cannot write dead letter; stopping this component so the item is not acknowledged');
          fail(`dead letter not stored: ${describeError(err)}`);
          throw err;
        }),
      fail,
      setHealthy: (healthy, reason) => {
        const s = components.get(id)!.state;
        if (s === 'failed') return;
        setState(id, healthy ? 'running' : 'unhealthy', healthy ? undefined : reason);
      },
      now,
      random,
      sleep,
    };
    contexts.set(id, ctx);
    return ctx;
  }

  // Sections were validated with the whole config; one the config does not mention reads as its default.
  const sections = config as unknown as Record<string, unknown>;
  function buildEnv(id: string): BuildEnv {
    return {
      id,
      dataDir: config.dataDir,
      resolvePath: (p: string) => resolvePath(loaded.baseDir, p),
      logger: logger.child({ component: id }),
      metrics,
      secrets,
      section<T>(s: ConfigSection<T>): T {
        const value = sections[s.key];
        return value === undefined ? sectionDefault(s) : (value as T);
      },
      shared<T>(key: string, make: () => T): T {
        if (!sharedResources.has(key)) sharedResources.set(key, make());
        return sharedResources.get(key) as T;
      },
      reread: (path: string) => loaded.reread?.(path),
    };
  }

  return { input, config, opts, secrets, now, random, sleep, logger, metrics, deadLetters, components, contexts, sharedResources, sourceAbort, setState, context, buildEnv };
}

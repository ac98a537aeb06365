// `zsf dead-letters replay`: sends selected dead letters through the configured pipeline again,
// after the operator fixed what made them fail (a mapping, a token, an index name).
//
// - A `record` letter re-enters downstream of its source (the transforms run again); an
//   `event` letter re-enters at the transform (run again) or the sink that dead-lettered it.
// - The run is `run --once` without sources: inject, drain, exit. Source checkpoints are not
//   touched, and every sink gets a memory buffer (disk buffers belong to `zsf run`).
// - Each letter is a batch of its own (BatchHandle / OrderedCommitter, as in normal runs):
//   it is marked replayed in `dead-letter/replayed.ndjson` only once every sink it reached
//   accepted it. One that fails again is dead-lettered again with the new reason and
//   `context.replayOf: <old id>`; the newer letter then stands for it. A letter whose sink
//   could not deliver (auth, shutdown) is not marked and stays pending.

import { AsyncLocalStorage } from 'node:async_hooks';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DestinationStream } from 'pino';
import { OrderedCommitter } from './acks.js';
import type { BufferEntry, EventBuffer } from './buffers/buffer.js';
import type { DeadLetterInput } from './dead-letter.js';
import {
  letterStates,
  matchesFilter,
  readLetterIndex,
  readReplayMarks,
  scanDeadLetters,
  REPLAY_MARKS_FILE,
  type CorruptLine,
  type DeadLetter,
  type LetterFilter,
  type LetterSummary,
  type LetterStatus,
  type ReplayOutcome,
} from './dead-letter-reader.js';
import { runPipeline, type InjectFn, type PipelineInput, type PipelineResult } from './pipeline.js';
import type { Registry } from './plugin.js';
import { describeError } from './retry.js';
import { recordToEvent, type EventMeta, type PipelineEvent, type SourceRecord } from './types.js';

export interface ReplayOptions {
  filter?: LetterFilter;
  /** Also send letters already marked replayed. */
  again?: boolean;
  /** Only say what would be sent. */
  dryRun?: boolean;
  now?: () => number;
  logDestination?: DestinationStream;
  logger?: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called once the pipeline runs; `stop` ends the replay early (what is unfinished stays pending). */
  onStart?: (stop: (reason: string) => Promise<unknown>) => void;
}

export interface PlannedLetter {
  letter: LetterSummary;
  /** Where it re-enters: a source's downstream, a transform, or a sink. */
  at: string;
}

export interface SkippedLetter {
  letter: LetterSummary;
  status: LetterStatus;
}

export interface LetterResult {
  id: string;
  /** `not_delivered`: a sink could not take it (auth, shutdown): it stays pending. */
  outcome: ReplayOutcome | 'not_delivered';
  detail?: string;
}

export interface ReplayReport {
  planned: PlannedLetter[];
  skipped: SkippedLetter[];
  corrupt: CorruptLine[];
  /** Empty on a dry run. */
  results: LetterResult[];
  pipeline?: PipelineResult;
  /** Marks could not be written: what was delivered would be sent again by the next replay. */
  markError?: string;
  /** Every planned letter was delivered or dropped by a transform, and the run was clean. */
  ok: boolean;
}

/** Tracks one letter on its way through the pipeline. */
interface LetterRun {
  letter: LetterSummary;
  /** Deliveries handed to sink buffers. */
  reached: number;
  /** Reasons of the dead letters written for it during this replay. */
  failures: string[];
  done: boolean;
}

export async function replayDeadLetters(loaded: PipelineInput, registry: Registry, opts: ReplayOptions = {}): Promise<ReplayReport> {
  const { config, graph } = loaded;
  const dir = join(config.dataDir, 'dead-letter');
  const { letters, corrupt } = await readLetterIndex(dir);
  const marks = await readReplayMarks(dir);
  const states = letterStates(letters, marks.marks, graph);
  const planned: PlannedLetter[] = [];
  const skipped: SkippedLetter[] = [];
  for (const letter of letters) {
    if (!matchesFilter(letter, opts.filter ?? {})) continue;
    const status = states.get(letter.id)!;
    if (status.state === 'pending' || (status.state === 'replayed' && opts.again)) planned.push({ letter, at: letter.component });
    else skipped.push({ letter, status });
  }
  const report: ReplayReport = { planned, skipped, corrupt: [...corrupt, ...marks.corrupt], results: [], ok: true };
  if (opts.dryRun || planned.length === 0) return report;

  // One replay at a time, and none beside a running instance: runPipeline takes the dataDir lock.
  return run(loaded, registry, dir, planned, report, opts);
}

async function run(loaded: PipelineInput, registry: Registry, dir: string, planned: PlannedLetter[], report: ReplayReport, opts: ReplayOptions): Promise<ReplayReport> {
  const now = opts.now ?? Date.now;
  const runs = new Map<string, LetterRun>();
  // Which letter an event belongs to: transforms run in the letter's async context; events
  // pushed into a sink buffer are remembered by their meta object (the sink runner
  // dead-letters with that same object).
  const current = new AsyncLocalStorage<LetterRun>();
  const owner = new WeakMap<EventMeta, LetterRun>();
  const marks = markWriter(dir);
  const sources = new Map(loaded.config.sources.map((s) => [s.id, s as unknown as Record<string, unknown>]));

  const pipeline = await runPipeline(loaded, registry, {
    once: true,
    api: false,
    now,
    ...(opts.logDestination ? { logDestination: opts.logDestination } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    replay: {
      run: (inject) => injectAll(dir, planned, runs, inject, current, marks, now, sources),
      deadLetter(entry: DeadLetterInput): DeadLetterInput {
        const meta = (entry.payload as { meta?: EventMeta } | undefined)?.meta;
        const r = (meta && typeof meta === 'object' ? owner.get(meta) : undefined) ?? current.getStore();
        if (!r) return entry;
        r.failures.push(`${entry.component}: ${entry.reason}${entry.detail ? ` (${entry.detail})` : ''}`);
        return { ...entry, context: { ...entry.context, replayOf: r.letter.id } };
      },
      buffer: (_sink, buffer) =>
        trackPushes(buffer, (entries) => {
          for (const e of entries) {
            const r = current.getStore();
            if (!r) continue;
            owner.set(e.event.meta, r);
            r.reached++;
          }
        }),
    },
  });
  opts.onStart?.((reason) => pipeline.stop(reason));
  const result = await pipeline.done;
  const markError = await marks.close();
  report.pipeline = result;
  if (markError) report.markError = `cannot write ${REPLAY_MARKS_FILE}: ${describeError(markError)} (the letters stay pending and would be sent again)`;
  for (const p of planned) {
    const r = runs.get(p.letter.id);
    if (r?.done) report.results.push({ id: p.letter.id, ...outcomeOf(r) });
    else report.results.push({ id: p.letter.id, outcome: 'not_delivered', detail: result.failures.map((f) => `${f.component}: ${f.reason}`).join('; ') || 'stopped before it was delivered' });
  }
  report.ok = result.ok && !markError && report.results.every((r) => r.outcome === 'delivered' || r.outcome === 'dropped');
  return report;
}

async function injectAll(
  dir: string,
  planned: PlannedLetter[],
  runs: Map<string, LetterRun>,
  inject: InjectFn,
  current: AsyncLocalStorage<LetterRun>,
  marks: ReturnType<typeof markWriter>,
  now: () => number,
  sources: Map<string, Record<string, unknown>>,
): Promise<void> {
  const at = new Map(planned.map((p) => [p.letter.id, p.at]));
  // A second pass over the files reads the payloads one at a time, so a large store is
  // never held in memory. Its bad lines were reported by the first pass (and lines written
  // meanwhile, e.g. by this replay, are not planned).
  await scanDeadLetters(dir, async (letter) => {
    const target = at.get(letter.id);
    if (target === undefined || runs.has(letter.id)) return;
    const r: LetterRun = { letter, reached: 0, failures: [], done: false };
    runs.set(letter.id, r);
    // One committer per letter: its "checkpoint" is written when every delivery of the
    // letter is accepted or dead-lettered, which is exactly when it may be marked.
    const committer = new OrderedCommitter(async () => {
      r.done = true;
      await marks.append({ id: letter.id, time: new Date(now()).toISOString(), ...outcomeOf(r) });
    });
    const handle = committer.begin(letter.id);
    await current.run(r, () => inject(target, [toEvent(letter, sources)], handle));
    // Sealed only once handed over in full: a letter whose hand-over was cut short (stop)
    // must never look done, or it would be marked without having been delivered.
    handle.seal();
  });
}

function outcomeOf(r: LetterRun): { outcome: ReplayOutcome; detail?: string } {
  if (r.failures.length) return { outcome: 'failed', detail: r.failures.join('; ') };
  return r.reached > 0 ? { outcome: 'delivered' } : { outcome: 'dropped', detail: 'no event reached a sink (dropped by a transform)' };
}

/** The event a letter stands for; record letters become events as their source would emit them. */
function toEvent(l: DeadLetter, sources: Map<string, Record<string, unknown>>): PipelineEvent {
  if (l.kind === 'event') {
    const p = l.payload as PipelineEvent;
    return { meta: { ...p.meta }, body: p.body };
  }
  return recordToEvent(recordOf(l, sources.get(l.component) ?? {}));
}

/**
 * A record letter's payload is the upstream JSON the source could not use (typically: no
 * usable id or time). The id falls back to the letter id and the time to when it was
 * dead-lettered, so it can reach the transforms, which decide whether it maps now.
 */
function recordOf(l: DeadLetter, source: Record<string, unknown>): SourceRecord {
  const raw = l.payload as Record<string, unknown>;
  const id = typeof raw.id === 'number' || (typeof raw.id === 'string' && raw.id !== '') ? String(raw.id) : `dead-letter-${l.id}`;
  const seconds = typeof raw.timestamp === 'number' ? raw.timestamp * 1000 : undefined;
  const parsed = typeof raw.created_at === 'string' ? Date.parse(raw.created_at) : NaN;
  const time = seconds ?? (Number.isNaN(parsed) ? Date.parse(l.time) : parsed);
  const stream = source.stream ?? STREAM_OF_TYPE[String(source.type)] ?? 'unknown';
  return { account: String(source.account ?? 'unknown'), stream: String(stream), id, time, raw };
}

/** The stream each Zendesk source type emits (the generator has a `stream` option). */
const STREAM_OF_TYPE: Record<string, string> = { zendesk_audit_logs: 'audit_log', zendesk_ticket_audits: 'ticket_audit', zendesk_access_logs: 'access_log' };

/** Forwards everything to `inner`, telling `onPush` what is pushed. */
function trackPushes(inner: EventBuffer, onPush: (entries: BufferEntry[]) => void): EventBuffer {
  return {
    kind: inner.kind,
    push(entries, signal) {
      onPush(entries);
      return inner.push(entries, signal);
    },
    read: (o) => inner.read(o),
    ack: (b) => inner.ack(b),
    setFlushMode: (on) => inner.setFlushMode(on),
    get events() {
      return inner.events;
    },
    get bytes() {
      return inner.bytes;
    },
    isEmpty: () => inner.isEmpty(),
    whenEmpty: () => inner.whenEmpty(),
    close: () => inner.close(),
  };
}

/**
 * Appends replay marks, fsynced before they count. Marks that arrive while a write is in
 * flight are group-committed (one write + one fdatasync), so marking does not cost a disk
 * flush per letter. A crash re-sends at most the letters not yet marked.
 */
function markWriter(dir: string) {
  let queue: { line: string; done: (err?: unknown) => void }[] = [];
  let flushing: Promise<void> | null = null;
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  let firstError: unknown;
  const idle: (() => void)[] = [];
  const kick = (): void => {
    if (flushing) return;
    if (!queue.length) {
      for (const w of idle.splice(0)) w();
      return;
    }
    const batch = queue;
    queue = [];
    flushing = (async () => {
      fh ??= await open(join(dir, REPLAY_MARKS_FILE), 'a');
      await fh.write(batch.map((b) => b.line).join(''));
      await fh.datasync();
    })()
      .then(
        () => batch.forEach((b) => b.done()),
        (err: unknown) => {
          firstError ??= err;
          batch.forEach((b) => b.done(err));
        },
      )
      .finally(() => {
        flushing = null;
        kick();
      });
  };
  return {
    append(mark: Record<string, unknown>): Promise<void> {
      return new Promise((resolve, reject) => {
        queue.push({ line: JSON.stringify(mark) + '\n', done: (err) => (err ? reject(err as Error) : resolve()) });
        kick();
      });
    },
    /** Waits for every mark; returns the first write error, if any. */
    async close(): Promise<unknown> {
      if (flushing || queue.length) await new Promise<void>((r) => idle.push(r));
      await fh?.close();
      return firstError;
    },
  };
}

// The contracts between sources, transforms, sinks and the pipeline core.
// Every component is written against these few shapes; delivery, buffering,
// retry and checkpointing live in src/core so no component re-implements them.

import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { DeadLetterInput } from './dead-letter.js';

/** Known Zendesk streams; more may come, so `string` is accepted too. */
export type Stream = 'audit_log' | 'ticket_audit' | 'access_log' | 'deleted_ticket' | (string & {});

/** One upstream item exactly as Zendesk returned it (DESIGN §2). */
export interface SourceRecord {
  account: string;
  stream: Stream;
  /** Upstream id, as a string (audit log ids are numbers, access log ids are ULIDs). */
  id: string;
  /** Upstream event time, epoch milliseconds. */
  time: number;
  /** The upstream JSON, untouched. */
  raw: Record<string, unknown>;
  /** Where `raw` sits in the page text it was parsed from: lets a transform worker parse it there instead of receiving a copy. */
  page?: PageSlot;
}

/** One upstream page as received: its JSON text and the key of its record array. */
export interface PageText {
  /** Unique in the process (a counter), so that a worker can keep the page it already has. */
  id: number;
  listKey: string;
  text: string;
}

/** A record's place in a page: `JSON.parse(page.text)[page.listKey][index]` is the record. */
export interface PageSlot {
  page: PageText;
  index: number;
}

let pageCounter = 0;
/** A page text with a fresh id. */
export function pageText(listKey: string, text: string): PageText {
  return { id: ++pageCounter, listKey, text };
}

/**
 * `zendesk` = a source record not yet mapped (body is the upstream JSON);
 * the others are the output of a schema transform.
 */
export type EventSchema = 'zendesk' | 'ocsf' | 'ecs' | 'raw';

/** Metadata that travels beside the event body; sinks use it, it is not shipped as-is. */
export interface EventMeta {
  /** Deterministic id `account:stream:upstreamId`, also placed in the body for SIEM dedupe. */
  id: string;
  account: string;
  stream: Stream;
  /** Event time, epoch ms (from upstream, never the wall clock). */
  time: number;
  schema: EventSchema;
  /** Suggested routing, e.g. the Splunk sourcetype. */
  sourcetype?: string;
  /** Normalised severity 0..6 on the OCSF scale, when a transform set one. */
  severity?: number;
  /** OCSF class_uid when the body is OCSF. */
  classUid?: number;
}

export interface PipelineEvent {
  meta: EventMeta;
  body: Record<string, unknown>;
  /** Set on records that came in a page (see SourceRecord.page); not part of the event. */
  page?: PageSlot;
}

/**
 * An event as a sink receives it: the body's JSON text, serialised once in fan-out (or read
 * back from a disk buffer frame), travels to the encoders, which build requests around it.
 * `body` is parsed from `json` on first access only, so events waiting in a memory buffer
 * hold a string, not an object graph, and sinks that ship the text never parse it.
 */
export interface SinkEvent {
  readonly meta: EventMeta;
  /** JSON.stringify(body): never re-serialised on the way out. */
  readonly json: string;
  /** UTF-8 byte length of `json` (the unit of every byte bound). */
  readonly bytes: number;
  /** The body object, parsed from `json` once, on first access. */
  readonly body: Record<string, unknown>;
  /**
   * The UTF-8 bytes of `json`, when the event came with them (read back from a disk buffer
   * frame; `json` is then decoded from them on first access only). An encoder that writes bytes
   * copies these instead of encoding `json` again (`TextBuffer.putJson`).
   */
  readonly utf8?: Buffer;
}

class JsonSinkEvent implements SinkEvent {
  constructor(
    readonly meta: EventMeta,
    readonly json: string,
    readonly bytes: number,
  ) {}
  get body(): Record<string, unknown> {
    const body = JSON.parse(this.json) as Record<string, unknown>;
    // Later reads find the parsed object as an own property and skip this getter.
    Object.defineProperty(this, 'body', { value: body, enumerable: true });
    return body;
  }
}

/** A sink event read as bytes (a disk buffer frame's body): its text and body are decoded on first access only. */
class Utf8SinkEvent implements SinkEvent {
  private text: string | undefined;
  constructor(
    readonly meta: EventMeta,
    readonly utf8: Buffer,
  ) {}
  get bytes(): number {
    return this.utf8.length;
  }
  get json(): string {
    return (this.text ??= this.utf8.toString('utf8'));
  }
  get body(): Record<string, unknown> {
    const body = JSON.parse(this.json) as Record<string, unknown>;
    Object.defineProperty(this, 'body', { value: body, enumerable: true });
    return body;
  }
}

/**
 * The body of a sink event without keeping the parse on it: for a driver that needs the
 * structure once per batch (OTLP), so that the event, shared by every sink's buffer, goes on
 * holding only its text. A body parsed already (or given as an object) is reused.
 */
export function transientBody(e: SinkEvent): Record<string, unknown> {
  return (e instanceof JsonSinkEvent || e instanceof Utf8SinkEvent) && !Object.hasOwn(e, 'body') ? (JSON.parse(e.json) as Record<string, unknown>) : e.body;
}

/** A sink event from the body's JSON text and its UTF-8 byte length (callers have both). */
export function sinkEvent(meta: EventMeta, json: string, bytes: number): SinkEvent {
  return new JsonSinkEvent(meta, json, bytes);
}

/** A sink event from the UTF-8 bytes of the body's JSON text (a disk buffer frame), kept as bytes until a sink needs the text. */
export function sinkEventFromUtf8(meta: EventMeta, utf8: Buffer): SinkEvent {
  return new Utf8SinkEvent(meta, utf8);
}

/** Serialises a pipeline event for a sink (drivers' tests and benches; the core uses sinkEvent). */
export function toSinkEvent(event: PipelineEvent): SinkEvent {
  const json = JSON.stringify(event.body);
  return sinkEvent(event.meta, json, Buffer.byteLength(json));
}

export function eventId(account: string, stream: string, upstreamId: string): string {
  return `${account}:${stream}:${upstreamId}`;
}

/** The event a source record becomes when it enters the pipeline. */
export function recordToEvent(record: SourceRecord): PipelineEvent {
  return {
    meta: {
      id: eventId(record.account, record.stream, record.id),
      account: record.account,
      stream: record.stream,
      time: record.time,
      schema: 'zendesk',
    },
    body: record.raw,
    ...(record.page ? { page: record.page } : {}),
  };
}

// ---------------------------------------------------------------- sources

/** A batch of records (typically one upstream page) and the checkpoint state *after* it. */
export interface SourceBatch {
  records: SourceRecord[];
  /** JSON-serialisable state; committed only when this batch and all earlier ones are accepted by every sink. */
  checkpoint: unknown;
  /** Upstream time the checkpoint has reached (epoch ms), for the lag metric. */
  checkpointTime?: number;
}

export interface ComponentContext {
  id: string;
  logger: Logger;
  metrics: Metrics;
  /**
   * Write to the dead-letter store. Never throws synchronously. Rejects when the line cannot
   * be stored (the component is then marked failed): the caller must not ack the item.
   */
  deadLetter(entry: Omit<DeadLetterInput, 'component'>): Promise<void>;
  /** Mark this component failed hard (readyz fails); the rest keeps running. */
  fail(reason: string): void;
  /** Mark this component healthy/unhealthy without stopping it (e.g. a sink in auth backoff). */
  setHealthy(healthy: boolean, reason?: string): void;
  /** Clock and randomness are injectable so that tests are deterministic. */
  now(): number;
  random(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What `emit` hands back: when the batch is safe, for a source that must answer someone (a webhook). */
export interface EmitReceipt {
  /**
   * Every event of the batch survives a crash: fsynced in every disk buffer it went to, and
   * delivered (or dead-lettered, or dropped) from every memory buffer; events a transform dropped
   * count as settled. Rejects if the pipeline stops or the source's life ends before that.
   */
  durable: Promise<void>;
  /** Every delivery of the batch accepted and a checkpoint at or past it committed (written). Rejects as `durable` does, or with the commit's error. */
  committed: Promise<void>;
}

export interface SourceContext extends ComponentContext {
  /** The last committed checkpoint, or undefined on first start. */
  checkpoint: unknown;
  /** Aborted on shutdown; sources must stop fetching promptly. */
  signal: AbortSignal;
  /** `--once`: catch up to now, then return. Otherwise follow forever. */
  once: boolean;
  /**
   * Hand a batch to the pipeline. Resolves when the batch has entered every sink buffer
   * (this is where backpressure reaches the source: it blocks while buffers are full).
   * Both promises of the receipt may be ignored: they never cause an unhandled rejection.
   */
  emit(batch: SourceBatch): Promise<EmitReceipt>;
  /**
   * A successful poll found everything upstream up to `timeMs` (epoch ms) and emitted it.
   * The lag metric measures from here once those batches are delivered, so a quiet stream
   * whose checkpoint time stays old does not look behind.
   */
  reached(timeMs: number): void;
  /**
   * Whether a transform worker reads this source's records from their page (SourceRecord.page).
   * False: a source need not keep page texts (they would only live longer than the parse).
   */
  keepPages: boolean;
}

export interface Source {
  /** Runs until caught up (once) or until ctx.signal aborts. Throwing fails the component. */
  run(ctx: SourceContext): Promise<void>;
}

// ---------------------------------------------------------------- transforms

export type TransformResult = PipelineEvent | PipelineEvent[] | null | undefined;

/**
 * A transform maps one event to zero, one or many events. Throwing (or rejecting)
 * dead-letters that event with the error message as reason; the pipeline goes on.
 */
export type Transform = (event: PipelineEvent) => TransformResult | Promise<TransformResult>;

// ---------------------------------------------------------------- sinks

/** How one delivery attempt ended; the core decides retries, splits, dead letters and acks. */
export type SendOutcome =
  | { kind: 'ok' }
  /** Transient: network error, 408, 429, 5xx. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** The whole batch will never be accepted (e.g. 400). Dead-lettered with the reason. */
  | { kind: 'permanent'; reason: string }
  /**
   * Some events rejected permanently (indices into the batch). The rest were accepted, unless
   * `resendRest`: then the destination stopped at the bad event (e.g. HEC's
   * invalid-event-number), and the core sends the others again as a new attempt.
   */
  | { kind: 'partial'; rejected: { index: number; reason: string }[]; resendRest?: boolean }
  /** 413 or equivalent: the core splits the batch and resends; a single event is dead-lettered. */
  | { kind: 'too_large'; reason: string }
  /** 401/403: stop sending, report unhealthy, keep the data, retry with long backoff. */
  | { kind: 'auth'; reason: string };

/**
 * Where a driver keeps the encoding of one batch across its attempts. The core passes the same
 * object on every retry of the same events, a fresh one for each half of a split and for a
 * partial resend, and empties it as soon as the batch is settled (delivered, dead-lettered or
 * stopped), so a retry resends the bytes already built (and compressed) instead of encoding
 * the batch again, and nothing outlives the batch.
 */
export interface EncodingMemo {
  /** What an earlier attempt of these same events stored; the driver that stored it knows its type. */
  encoded?: unknown;
}

export interface SinkDriver {
  /** Optional start-up check (e.g. HEC /health). Throwing fails start unless healthcheck is disabled. */
  healthcheck?(signal: AbortSignal): Promise<void>;
  /**
   * Deliver one batch. Must not throw for HTTP-level results; thrown errors are treated as `retry`.
   * `memo` (from the core; absent when a caller sends once) may hold the batch's encoding between attempts.
   */
  send(events: SinkEvent[], signal: AbortSignal, memo?: EncodingMemo): Promise<SendOutcome>;
  /** Flush anything held (e.g. an open S3 object) and release resources. */
  close?(): Promise<void>;
}

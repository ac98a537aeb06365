// The sink buffer contract. Writers (the fan-out) push; the sink runner reads batches and
// acks them once delivered (or dead-lettered). Both buffer kinds are bounded; with
// `whenFull: block` a push waits for space, which is how backpressure reaches the sources.

import type { Ack } from '../acks.js';
import type { SinkEvent } from '../types.js';

export interface BufferEntry {
  /** Meta and the body's JSON text (`event.json`); no body object is held until a sink reads `event.body`. */
  event: SinkEvent;
  /** UTF-8 byte length of `event.json` (= `event.bytes`): the unit of every byte bound (computed once, in fan-out). */
  bytes: number;
  /** Upstream batch to ack once this entry is accepted (memory: delivered; disk: fsynced). */
  ack?: Ack;
}

export interface ReadBatch {
  entries: BufferEntry[];
  bytes: number;
  /** Opaque position token for the buffer's own ack bookkeeping. */
  token: unknown;
}

export interface ReadOptions {
  maxEvents: number;
  maxBytes: number;
  maxWaitMs: number;
  signal: AbortSignal;
}

export interface EventBuffer {
  readonly kind: 'memory' | 'disk';
  /** Resolves when the entries are accepted by the buffer. Rejects only when the signal aborts. */
  push(entries: BufferEntry[], signal?: AbortSignal): Promise<void>;
  /**
   * Waits for at least one entry, then up to maxWait for the batch to fill. Returns null
   * when the signal aborts with nothing read. In flush mode it returns what it has at once.
   */
  read(opts: ReadOptions): Promise<ReadBatch | null>;
  /** The batch was delivered or dead-lettered: release it for good. */
  ack(batch: ReadBatch): Promise<void>;
  /** From now on reads do not wait for batches to fill (drain on shutdown / --once). */
  setFlushMode(on: boolean): void;
  /** Events and bytes held, including read-but-unacked ones. */
  readonly events: number;
  readonly bytes: number;
  /** Nothing queued and nothing in flight. */
  isEmpty(): boolean;
  /** Resolves when isEmpty() becomes true. */
  whenEmpty(): Promise<void>;
  close(): Promise<void>;
}

/** A tiny wait/notify helper: `wait()` resolves on the next `notify()`. */
export class Signal {
  private waiters: (() => void)[] = [];
  wait(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      this.waiters.push(done);
      if (signal) {
        if (signal.aborted) return done();
        signal.addEventListener('abort', done, { once: true });
      }
      if (timeoutMs !== undefined) timer = setTimeout(done, Math.max(0, timeoutMs));
    });
  }
  notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

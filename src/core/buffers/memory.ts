// In-memory sink buffer bounded by events and bytes. Entries stay counted until acked
// (they are still in memory while a request is in flight), so the bound is honest.

import type { Metrics } from '../../observability/metrics.js';
import { Signal, type BufferEntry, type EventBuffer, type ReadBatch, type ReadOptions } from './buffer.js';

export interface MemoryBufferOptions {
  sink: string;
  maxEvents: number;
  maxBytes: number;
  whenFull: 'block' | 'drop_newest';
  metrics: Metrics;
}

export class MemoryBuffer implements EventBuffer {
  readonly kind = 'memory' as const;
  private queue: BufferEntry[] = [];
  private head = 0;
  private queuedBytes = 0;
  private inflightEvents = 0;
  private inflightBytes = 0;
  private flushMode = false;
  private dataArrived = new Signal();
  private spaceFreed = new Signal();
  private emptied = new Signal();

  constructor(private opts: MemoryBufferOptions) {
    opts.metrics.bufferMaxBytes.set({ sink: opts.sink }, opts.maxBytes);
  }

  get events(): number {
    return this.queue.length - this.head + this.inflightEvents;
  }
  get bytes(): number {
    return this.queuedBytes + this.inflightBytes;
  }
  isEmpty(): boolean {
    return this.events === 0;
  }

  private hasRoom(e: BufferEntry): boolean {
    // An entry larger than the whole bound still gets in when the buffer is empty, so one
    // oversized event can never deadlock the pipeline.
    if (this.events === 0) return true;
    return this.events + 1 <= this.opts.maxEvents && this.bytes + e.bytes <= this.opts.maxBytes;
  }

  async push(entries: BufferEntry[], signal?: AbortSignal): Promise<void> {
    for (const e of entries) {
      while (!this.hasRoom(e)) {
        if (this.opts.whenFull === 'drop_newest') break;
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        await this.spaceFreed.wait(signal);
      }
      if (!this.hasRoom(e)) {
        this.opts.metrics.eventsDropped.inc({ sink: this.opts.sink });
        e.ack?.ack(1);
        continue;
      }
      this.queue.push(e);
      this.queuedBytes += e.bytes;
    }
    this.updateGauges();
    this.dataArrived.notify();
  }

  async read(opts: ReadOptions): Promise<ReadBatch | null> {
    while (this.queue.length === this.head) {
      if (opts.signal.aborted) return null;
      await this.dataArrived.wait(opts.signal);
    }
    const deadline = Date.now() + opts.maxWaitMs;
    while (!this.flushMode && !opts.signal.aborted) {
      const n = this.queue.length - this.head;
      if (n >= opts.maxEvents || this.queuedBytes >= opts.maxBytes) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.dataArrived.wait(opts.signal, left);
    }
    const entries: BufferEntry[] = [];
    let bytes = 0;
    while (this.head < this.queue.length && entries.length < opts.maxEvents) {
      const e = this.queue[this.head]!;
      if (entries.length > 0 && bytes + e.bytes > opts.maxBytes) break;
      entries.push(e);
      bytes += e.bytes;
      this.queue[this.head++] = undefined as unknown as BufferEntry;
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.queuedBytes -= bytes;
    this.inflightEvents += entries.length;
    this.inflightBytes += bytes;
    return { entries, bytes, token: null };
  }

  async ack(batch: ReadBatch): Promise<void> {
    this.inflightEvents -= batch.entries.length;
    this.inflightBytes -= batch.bytes;
    for (const e of batch.entries) e.ack?.ack(1);
    this.updateGauges();
    this.spaceFreed.notify();
    if (this.isEmpty()) this.emptied.notify();
  }

  setFlushMode(on: boolean): void {
    this.flushMode = on;
    this.dataArrived.notify();
  }

  async whenEmpty(): Promise<void> {
    while (!this.isEmpty()) await this.emptied.wait();
  }

  private updateGauges(): void {
    this.opts.metrics.bufferEvents.set({ sink: this.opts.sink }, this.events);
    this.opts.metrics.bufferBytes.set({ sink: this.opts.sink }, this.bytes);
  }

  async close(): Promise<void> {
    this.dataArrived.notify();
    this.spaceFreed.notify();
  }
}

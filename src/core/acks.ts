// Batch-level ack tracking and ordered checkpoint commit (DESIGN §3).
// A batch is "done" when every sink delivery it fanned out to is accepted (or dead-lettered,
// or dropped by drop_newest). The committed checkpoint is the newest one whose batch and
// all earlier batches are done, so a crash never skips a batch that was still in flight.

export interface Ack {
  /** Register n more deliveries that must be accepted before the batch is done. */
  add(n: number): void;
  /** n deliveries accepted. */
  ack(n: number): void;
}

interface Pending {
  seq: number;
  outstanding: number;
  sealed: boolean;
  checkpoint: unknown;
  checkpointTime: number | undefined;
}

export class BatchHandle implements Ack {
  constructor(private committer: OrderedCommitter, readonly pending: Pending) {}
  add(n: number): void {
    this.pending.outstanding += n;
  }
  ack(n: number): void {
    this.pending.outstanding -= n;
    if (this.pending.outstanding < 0) throw new Error(`batch ${this.pending.seq} acked more than delivered`);
    if (this.pending.sealed && this.pending.outstanding === 0) this.committer.advance();
  }
  /** Fan-out for this batch has finished handing it to every sink. */
  seal(): void {
    this.pending.sealed = true;
    if (this.pending.outstanding === 0) this.committer.advance();
  }
}

export type CommitFn = (checkpoint: unknown, checkpointTime: number | undefined) => Promise<void>;

export class OrderedCommitter {
  private queue: Pending[] = [];
  private head = 0;
  private nextSeq = 0;
  private latest: { checkpoint: unknown; time: number | undefined } | null = null;
  private saving: Promise<void> | null = null;
  private dirty = false;
  private error: unknown = null;
  private idleWaiters: (() => void)[] = [];
  private abandoned = false;
  committedCount = 0;

  constructor(private commit: CommitFn) {}

  begin(checkpoint: unknown, checkpointTime?: number): BatchHandle {
    const p: Pending = { seq: this.nextSeq++, outstanding: 0, sealed: false, checkpoint, checkpointTime };
    this.queue.push(p);
    return new BatchHandle(this, p);
  }

  /** Batches handed over but not yet done. */
  get inFlight(): number {
    return this.queue.length - this.head;
  }

  advance(): void {
    let moved = false;
    while (this.head < this.queue.length) {
      const p = this.queue[this.head]!;
      if (!(p.sealed && p.outstanding === 0)) break;
      this.latest = { checkpoint: p.checkpoint, time: p.checkpointTime };
      this.head++;
      moved = true;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (moved) {
      this.dirty = true;
      this.kick();
    }
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  // Commits are coalesced: at most one write in flight, and it always writes the newest state.
  private kick(): void {
    if (this.abandoned) return;
    if (this.saving || !this.dirty || !this.latest) return;
    this.dirty = false;
    const { checkpoint, time } = this.latest;
    this.saving = this.commit(checkpoint, time)
      .then(() => {
        this.committedCount++;
      })
      .catch((err) => {
        this.error = err;
      })
      .finally(() => {
        this.saving = null;
        this.kick();
      });
  }

  /**
   * Commits nothing more (a source restarting gets a fresh committer and re-reads from the
   * last commit; a later commit of this one could move the checkpoint behind its back).
   */
  abandon(): void {
    this.abandoned = true;
  }

  /** Resolves when every handed-over batch is done. */
  whenIdle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Waits for pending commit writes; throws the last commit error, if any. */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
    if (this.error) throw this.error;
  }
}

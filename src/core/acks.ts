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
  durable: Deferred;
  committed: Deferred;
}

/** A promise with its settle functions; settles once, and never reports an unhandled rejection. */
interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
  settled: boolean;
}

function deferred(): Deferred {
  let res!: () => void;
  let rej!: (err: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => {
    res = resolve;
    rej = reject;
  });
  // A source that ignores its receipt must not crash the process when it is rejected.
  promise.catch(() => undefined);
  const d: Deferred = {
    promise,
    settled: false,
    resolve() {
      if (d.settled) return;
      d.settled = true;
      res();
    },
    reject(err) {
      if (d.settled) return;
      d.settled = true;
      rej(err);
    },
  };
  return d;
}

/** Why a receipt was rejected: the pipeline stopped or the source's life ended first. */
export class ReceiptAbandonedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ReceiptAbandonedError';
  }
}

export class BatchHandle implements Ack {
  constructor(private committer: OrderedCommitter, readonly pending: Pending) {}
  add(n: number): void {
    this.pending.outstanding += n;
  }
  ack(n: number): void {
    this.pending.outstanding -= n;
    if (this.pending.outstanding < 0) throw new Error(`batch ${this.pending.seq} acked more than delivered`);
    if (this.pending.sealed && this.pending.outstanding === 0) this.done();
  }
  /** Fan-out for this batch has finished handing it to every sink. */
  seal(): void {
    this.pending.sealed = true;
    if (this.pending.outstanding === 0) this.done();
  }
  /**
   * Resolves when every delivery of the batch is accepted: fsynced into a disk buffer, or
   * delivered, dead-lettered or dropped from a memory buffer (see docs/ARCHITECTURE.md).
   */
  get durable(): Promise<void> {
    return this.pending.durable.promise;
  }
  /** Resolves when a checkpoint at or past this batch is written. */
  get committed(): Promise<void> {
    return this.pending.committed.promise;
  }
  private done(): void {
    this.pending.durable.resolve();
    this.committer.advance();
  }
}

export type CommitFn = (checkpoint: unknown, checkpointTime: number | undefined) => Promise<void>;

/**
 * When the committer writes. A durable write (temp file, fsync, rename, fsync) per source batch
 * is a cost paid for every page of a backfill; coalescing trades it for a few batches read
 * again after a crash (never a loss: the committed state only ever lags).
 */
export interface CommitPolicy {
  /** Write once this many batches are done but not yet written... */
  maxBatches: number;
  /** ...or this long after the first of them was done, whichever comes first (ms). */
  maxDelayMs: number;
}

/** What the pipeline uses: a write per 4 done batches or within 1 s (the crash bound counts 4 source batches). */
export const COALESCED_COMMITS: CommitPolicy = { maxBatches: 4, maxDelayMs: 1000 };

export class OrderedCommitter {
  private queue: Pending[] = [];
  private head = 0;
  private nextSeq = 0;
  private latest: { checkpoint: unknown; time: number | undefined; seq: number } | null = null;
  private saving: Promise<void> | null = null;
  private dirty = false;
  private error: unknown = null;
  private idleWaiters: (() => void)[] = [];
  private abandoned = false;
  /** Batches done since the state of the last write was taken, and the timer that writes them anyway. */
  private unwritten = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Batches done, in order, whose checkpoint is not written yet (their `committed` waits). */
  private uncommitted: Pending[] = [];
  committedCount = 0;

  /** Without a policy every advance is written at once (one write in flight, newest state). */
  constructor(
    private commit: CommitFn,
    private policy?: CommitPolicy,
  ) {}

  begin(checkpoint: unknown, checkpointTime?: number): BatchHandle {
    const p: Pending = { seq: this.nextSeq++, outstanding: 0, sealed: false, checkpoint, checkpointTime, durable: deferred(), committed: deferred() };
    if (this.abandoned) this.rejectPending(p, this.abandonReason);
    this.queue.push(p);
    return new BatchHandle(this, p);
  }

  /** Batches handed over but not yet done. */
  get inFlight(): number {
    return this.queue.length - this.head;
  }

  advance(): void {
    let moved = false;
    let done = 0;
    while (this.head < this.queue.length) {
      const p = this.queue[this.head]!;
      if (!(p.sealed && p.outstanding === 0)) break;
      this.latest = { checkpoint: p.checkpoint, time: p.checkpointTime, seq: p.seq };
      // Only `latest` is ever written from now on. Done batches stay in `queue` (up to ~1024,
      // until it is sliced) and in `uncommitted`: without this their checkpoints (a source's
      // dedupe map each) would stay reachable with them.
      p.checkpoint = undefined;
      this.uncommitted.push(p);
      this.head++;
      done++;
      moved = true;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (moved) {
      this.dirty = true;
      this.unwritten += done;
      this.schedule();
    }
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Writes now when the policy says so (or there is none), else makes sure a timer will. */
  private schedule(): void {
    if (!this.policy || this.unwritten >= this.policy.maxBatches) {
      this.kick();
      return;
    }
    if (this.timer || this.abandoned) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.policy.maxDelayMs);
    // The timer alone never keeps a process alive: shutdown and --once call flush().
    this.timer.unref();
  }

  // Commits are coalesced: at most one write in flight, and it always writes the newest state.
  private kick(): void {
    if (this.abandoned) return;
    if (this.saving || !this.dirty || !this.latest) return;
    this.dirty = false;
    this.unwritten = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const { checkpoint, time, seq } = this.latest;
    this.saving = this.commit(checkpoint, time)
      .then(() => {
        this.committedCount++;
        for (const p of this.takeUncommitted(seq)) p.committed.resolve();
      })
      .catch((err) => {
        this.error = err;
        for (const p of this.takeUncommitted(seq)) p.committed.reject(err);
      })
      .finally(() => {
        this.saving = null;
        // Batches done meanwhile wait for their own turn under the policy.
        if (this.dirty) this.schedule();
      });
  }

  /**
   * Commits nothing more (a source restarting gets a fresh committer and re-reads from the
   * last commit; a later commit of this one could move the checkpoint behind its back).
   */
  abandon(reason = 'the source restarted before the batch was committed'): void {
    this.abandoned = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abandonReason = reason;
    this.rejectReceipts(reason);
  }

  private abandonReason = '';

  /**
   * Rejects every receipt not yet settled (the pipeline stops, or the source's life ended):
   * whoever waits on one must not wait forever. Commits themselves go on.
   */
  rejectReceipts(reason: string): void {
    for (let i = this.head; i < this.queue.length; i++) this.rejectPending(this.queue[i]!, reason);
    for (const p of this.uncommitted.splice(0)) this.rejectPending(p, reason);
  }

  private rejectPending(p: Pending, reason: string): void {
    const err = new ReceiptAbandonedError(reason);
    p.durable.reject(err);
    p.committed.reject(err);
  }

  private takeUncommitted(seq: number): Pending[] {
    let n = 0;
    while (n < this.uncommitted.length && this.uncommitted[n]!.seq <= seq) n++;
    return this.uncommitted.splice(0, n);
  }

  /** Resolves when every handed-over batch is done. */
  whenIdle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Writes what is done but not yet written (whatever the policy), waits for it; throws the last commit error, if any. */
  async flush(): Promise<void> {
    for (;;) {
      while (this.saving) await this.saving;
      if (!this.dirty || this.abandoned) break;
      this.kick();
    }
    if (this.error) throw this.error;
  }
}

// HEC indexer acknowledgements for one channel: every send that got an ackId waits here;
// one poller asks /services/collector/ack about all pending ackIds at a fixed interval
// (one request per channel, however many sends are waiting), and each wait ends when its
// ackId comes back true, when its own timeout passes (the caller resends), or when the
// caller's signal aborts.

import { describeError } from '../../core/retry.js';

export type AckPollResult =
  | { kind: 'acks'; acks: Record<string, boolean> }
  /** 401/403 from /ack: the token stopped working. */
  | { kind: 'auth'; reason: string }
  /** HEC says indexer acknowledgement is disabled for this token (code 14). */
  | { kind: 'disabled'; reason: string }
  | { kind: 'error'; reason: string };

export type AckPoll = (ackIds: number[], signal: AbortSignal) => Promise<AckPollResult>;

export type AckWaitResult =
  | { kind: 'acked' }
  | { kind: 'timeout' }
  | { kind: 'auth'; reason: string }
  | { kind: 'disabled'; reason: string }
  | { kind: 'aborted' };

export interface AckTrackerOptions {
  poll: AckPoll;
  intervalMs: number;
  /** Bound on one /ack request. */
  pollTimeoutMs: number;
  onPollError?: (reason: string) => void;
}

export class AckTracker {
  private pending = new Map<number, (r: AckWaitResult) => void>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private closed = new AbortController();
  /** Number of /ack requests made (for tests and debugging). */
  polls = 0;

  constructor(private opts: AckTrackerOptions) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  wait(ackId: number, timeoutMs: number, signal: AbortSignal): Promise<AckWaitResult> {
    return new Promise((resolve) => {
      if (signal.aborted || this.closed.signal.aborted) return resolve({ kind: 'aborted' });
      const finish = (r: AckWaitResult) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.pending.get(ackId) === finish) this.pending.delete(ackId);
        resolve(r);
      };
      const onAbort = () => finish({ kind: 'aborted' });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      // A restarted HEC starts ackIds again from 0; a still-pending wait with the same id
      // is left to its own timeout (and resent), the newest request owns the id.
      this.pending.set(ackId, finish);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer || this.polling || this.closed.signal.aborted || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollOnce();
    }, this.opts.intervalMs);
  }

  private async pollOnce(): Promise<void> {
    if (this.pending.size === 0) return;
    this.polling = true;
    const ids = [...this.pending.keys()];
    try {
      this.polls++;
      const r = await this.opts.poll(ids, AbortSignal.any([this.closed.signal, AbortSignal.timeout(this.opts.pollTimeoutMs)]));
      if (r.kind === 'acks') {
        for (const id of ids) if (r.acks[String(id)] === true) this.pending.get(id)?.({ kind: 'acked' });
      } else if (r.kind === 'auth' || r.kind === 'disabled') {
        for (const id of ids) this.pending.get(id)?.(r);
      } else this.opts.onPollError?.(r.reason);
    } catch (err) {
      if (!this.closed.signal.aborted) this.opts.onPollError?.(describeError(err));
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  close(): void {
    this.closed.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const finish of [...this.pending.values()]) finish({ kind: 'aborted' });
  }
}

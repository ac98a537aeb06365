// Zendesk may deliver one event more than once (a retry after a timeout, a 503 we sent).
// A bounded window of event ids answers a redelivery without emitting it again, but only
// once the first copy is durable: until then the redelivery waits for the first copy's fate.

export type Seen = { state: 'new' } | { state: 'durable' } | { state: 'in_flight'; settled: Promise<boolean> };

interface Entry {
  durable: boolean;
  settled?: Promise<boolean>;
  settle?: (durable: boolean) => void;
}

export class DedupeWindow {
  private entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  /** Looks `id` up; when new, it is recorded as in flight and the caller must call `done`. */
  claim(id: string): Seen {
    const e = this.entries.get(id);
    if (e?.durable) return { state: 'durable' };
    if (e) return { state: 'in_flight', settled: e.settled! };
    let settle!: (durable: boolean) => void;
    const settled = new Promise<boolean>((r) => (settle = r));
    this.entries.set(id, { durable: false, settled, settle });
    return { state: 'new' };
  }

  /** The first copy is durable (later copies answer 200 at once), or failed (the next copy emits again). */
  done(id: string, durable: boolean): void {
    const e = this.entries.get(id);
    if (!e || e.durable) return;
    e.settle?.(durable);
    if (!durable) {
      this.entries.delete(id);
      return;
    }
    this.entries.set(id, { durable: true });
    this.evict();
  }

  get size(): number {
    return this.entries.size;
  }

  // Oldest durable ids go first (Map keeps insertion order); ids in flight are never evicted.
  private evict(): void {
    if (this.entries.size <= this.capacity) return;
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (e.durable) this.entries.delete(id);
    }
  }
}

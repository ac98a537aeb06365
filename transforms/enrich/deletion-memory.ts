// Who deleted which tickets when, in *event* time, for the mass-deletion rule. Per transform
// instance and per process (like the sign-in IP memory): a restart, or two forwarder processes,
// each count on their own, so a burst split across a restart can be under-counted. Bounded:
// each actor keeps only the deletions within the window of their newest one, and the least
// recently active actors are forgotten first.

export interface DeletionMemoryOptions {
  windowMs: number;
  maxActors: number;
}

export class DeletionMemory {
  /** actor -> deletion key -> event time (ms). */
  private readonly actors = new Map<string, Map<string, number>>();

  constructor(private readonly opts: DeletionMemoryOptions) {}

  /**
   * Records a deletion (the same key twice counts once: a replayed or re-delivered event) and
   * returns how many deletions by this actor fall in [time − window, time], this one included.
   */
  observe(actor: string, key: string, time: number): number {
    let seen = this.actors.get(actor);
    if (seen) this.actors.delete(actor); // re-inserted below: Map order is the LRU order
    seen ??= new Map();
    seen.set(key, time);
    let newest = time;
    for (const t of seen.values()) newest = Math.max(newest, t);
    let count = 0;
    for (const [k, t] of seen) {
      if (t < newest - this.opts.windowMs) seen.delete(k);
      else if (t >= time - this.opts.windowMs && t <= time) count++;
    }
    this.actors.set(actor, seen);
    if (this.actors.size > this.opts.maxActors) this.actors.delete(this.actors.keys().next().value!);
    return count;
  }

  get size(): number {
    return this.actors.size;
  }
}

// In-memory, time-ordered record storage with keyset paging. Each entry is keyed by
// (t = epoch seconds, k = id); arrays stay sorted ascending so time filters and cursors are
// binary searches and a page costs O(page) rather than O(dataset).

export interface Entry<T> {
  /** Epoch seconds (the records' second-precision time). */
  t: number;
  /** Tie-breaker within a second: numeric id, or the ULID for access logs. */
  k: number | string;
  r: T;
}

export interface Position {
  t: number;
  k: number | string;
}

function cmp(aT: number, aK: number | string, bT: number, bK: number | string): number {
  if (aT !== bT) return aT < bT ? -1 : 1;
  if (aK === bK) return 0;
  return aK < bK ? -1 : 1;
}

export class SortedStream<T> {
  readonly entries: Entry<T>[];

  constructor(entries: Entry<T>[] = []) {
    this.entries = entries;
  }

  get length(): number {
    return this.entries.length;
  }

  /** Inserts keeping order; appends at the end are O(1), late arrivals O(n). */
  insert(e: Entry<T>): void {
    const last = this.entries[this.entries.length - 1];
    if (!last || cmp(last.t, last.k, e.t, e.k) <= 0) {
      this.entries.push(e);
      return;
    }
    this.entries.splice(this.upperBound(e), 0, e);
  }

  /** First index whose key is >= p. */
  lowerBound(p: Position): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.entries[mid] as Entry<T>;
      if (cmp(e.t, e.k, p.t, p.k) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose key is > p. */
  upperBound(p: Position): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.entries[mid] as Entry<T>;
      if (cmp(e.t, e.k, p.t, p.k) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index with t >= sec. */
  firstAtOrAfter(sec: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid] as Entry<T>).t < sec) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index with t > sec. */
  firstAfter(sec: number): number {
    return this.firstAtOrAfter(sec + 1);
  }

  records(): T[] {
    return this.entries.map((e) => e.r);
  }
}

export interface KeysetQuery<T> {
  /** Index window [lo, hi) from the time filter. */
  lo: number;
  hi: number;
  match?: (r: T) => boolean;
  order: 'asc' | 'desc';
  after?: Position;
  before?: Position;
  size: number;
  /** Fault: start this many matching records early, repeating the tail of the previous page. */
  repeat?: number;
}

export interface KeysetPage<T> {
  /** In the requested sort order. */
  items: Entry<T>[];
  /** More matching records further in the direction of travel (after for forward, before for page[before]). */
  more: boolean;
  /** Matching records exist on the other side of this page (or of the cursor when the page is empty). */
  other: boolean;
}

/**
 * Keyset (cursor) paging over a sorted stream. "after"/"before" are relative to the sort order:
 * with order=desc, page[after] walks towards older records, as Zendesk's newest-first cursors do.
 */
export function keysetPage<T>(s: SortedStream<T>, q: KeysetQuery<T>): KeysetPage<T> {
  const { lo, hi, size } = q;
  const match = q.match ?? (() => true);
  const entries = s.entries;
  // Travel direction in index space: +1 walks up the array, -1 walks down.
  const backward = q.before !== undefined;
  const sortStep = q.order === 'asc' ? 1 : -1;
  const step = backward ? -sortStep : sortStep;
  let start: number;
  if (q.after) start = sortStep === 1 ? s.upperBound(q.after) : s.lowerBound(q.after) - 1;
  else if (q.before) start = sortStep === 1 ? s.lowerBound(q.before) - 1 : s.upperBound(q.before);
  else start = sortStep === 1 ? lo : hi - 1;
  start = Math.max(lo - 1, Math.min(hi, start));

  if (q.repeat && q.repeat > 0 && (q.after || q.before)) {
    let i = start - step;
    let n = 0;
    while (i >= lo && i < hi && n < q.repeat) {
      if (match((entries[i] as Entry<T>).r)) {
        n++;
        start = i;
      }
      i -= step;
    }
  }

  const items: Entry<T>[] = [];
  let i = start;
  for (; i >= lo && i < hi && items.length < size; i += step) {
    const e = entries[i] as Entry<T>;
    if (match(e.r)) items.push(e);
  }
  let more = false;
  for (; i >= lo && i < hi; i += step) {
    if (match((entries[i] as Entry<T>).r)) {
      more = true;
      break;
    }
  }
  // Look the other way from the first record of the page (or from the start point when empty).
  let other = false;
  for (let j = start - step; j >= lo && j < hi; j -= step) {
    if (match((entries[j] as Entry<T>).r)) {
      other = true;
      break;
    }
  }
  if (backward) items.reverse();
  return { items, more, other };
}

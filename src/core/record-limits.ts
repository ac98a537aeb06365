// Bounds on what a source may hand the pipeline, and a serialiser that cannot throw.
// Upstream JSON is untrusted: a record nested 20,000 levels deep makes every recursive
// consumer (JSON.stringify, the mappers) overflow the stack, and a multi-megabyte string
// multiplies through fan-out and buffers. Both are measured here without recursion, before
// any transform sees the record, so the worst case is one iterative walk.

export interface RecordLimits {
  /** Deepest nesting of objects/arrays allowed (the record itself is depth 1). */
  maxDepth: number;
  /** Largest JSON size (UTF-8 bytes, approximately: string escapes are not counted). */
  maxBytes: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = { maxDepth: 64, maxBytes: 1024 * 1024 };

export type LimitViolation = { reason: 'record_too_deep' | 'record_too_large'; detail: string };

/**
 * Walks `value` iteratively and returns the first limit it breaks, or undefined.
 * Stops as soon as a limit is crossed, so a hostile record costs at most ~maxBytes of work.
 */
export function checkRecordLimits(value: unknown, limits: RecordLimits): LimitViolation | undefined {
  let bytes = 0;
  // Two parallel stacks (value, depth) rather than an object per value, and numbers measured
  // without making their text: this runs on every record, and those allocations were ~7 % of
  // everything the e2e backfill allocated (~1 KB per record). The walk's order, counts and the
  // points where a limit is checked are unchanged (test/core/record-limits.test.ts).
  const values: unknown[] = [value];
  const depths: number[] = [1];
  while (values.length) {
    const v = values.pop();
    const depth = depths.pop()!;
    // Short strings count their UTF-16 length (cheap); long ones, which decide the limit, exact UTF-8 bytes.
    if (typeof v === 'string') bytes += (v.length < 256 ? v.length : Buffer.byteLength(v)) + 2;
    else if (typeof v === 'number') bytes += Number.isSafeInteger(v) ? integerLength(v) : String(v).length;
    else if (typeof v === 'boolean') bytes += v ? 4 : 5;
    else if (typeof v === 'bigint') bytes += String(v).length;
    else if (v === null || v === undefined) bytes += 4;
    else if (typeof v === 'object') {
      if (depth > limits.maxDepth) return { reason: 'record_too_deep', detail: `record nested deeper than ${limits.maxDepth} levels (limits.maxRecordDepth)` };
      bytes += 2;
      if (Array.isArray(v)) {
        for (const item of v) {
          values.push(item);
          depths.push(depth + 1);
        }
        bytes += v.length;
      } else {
        const obj = v as Record<string, unknown>;
        for (const k in obj) {
          if (!Object.hasOwn(obj, k)) continue;
          bytes += k.length + 4; // keys are short; their UTF-8 excess is noise against the limit
          values.push(obj[k]);
          depths.push(depth + 1);
        }
      }
    }
    if (bytes > limits.maxBytes) return { reason: 'record_too_large', detail: `record larger than ${limits.maxBytes} bytes as JSON (limits.maxRecordBytes)` };
  }
  return undefined;
}

/** `String(n).length` of a safe integer, without making the string. */
function integerLength(n: number): number {
  let len = n < 0 ? 2 : 1;
  for (let a = Math.abs(n); a >= 10; a = Math.floor(a / 10)) len++;
  return len;
}

export interface PreviewLimits {
  maxDepth: number;
  /** Longest string kept whole; longer ones are cut and marked. */
  maxString: number;
  /** Rough budget for the whole preview (bytes); items beyond it are left out and marked. */
  maxBytes: number;
}

const PREVIEW: PreviewLimits = { maxDepth: 16, maxString: 4096, maxBytes: 64 * 1024 };

/**
 * A bounded copy of any value, safe for JSON.stringify: depth, string length and total size
 * are capped, cycles and non-JSON values (bigint, functions, symbols) become marker strings.
 * Used for the payload of dead letters whose item cannot, or should not, be kept whole.
 */
export function truncatedPreview(value: unknown, limits: PreviewLimits = PREVIEW): unknown {
  let budget = limits.maxBytes;
  const seen = new Set<object>();
  const copy = (v: unknown, depth: number): unknown => {
    if (budget <= 0) return '[truncated]';
    if (typeof v === 'string') {
      const s = v.length > limits.maxString ? `${v.slice(0, limits.maxString)}…[truncated ${v.length - limits.maxString} chars]` : v;
      budget -= s.length + 2;
      return s;
    }
    if (typeof v === 'number') return Number.isFinite(v) ? (budget -= 8, v) : String(v);
    if (typeof v === 'boolean' || v === null) return (budget -= 5, v);
    if (v === undefined) return null;
    if (typeof v !== 'object') return `[${typeof v}]`;
    if (seen.has(v)) return '[cycle]';
    if (depth >= limits.maxDepth) return '[truncated: too deep]';
    seen.add(v);
    budget -= 2;
    let out: unknown;
    if (Array.isArray(v)) {
      const arr: unknown[] = [];
      for (const item of v) {
        if (budget <= 0) {
          arr.push(`[truncated: ${v.length - arr.length} more items]`);
          break;
        }
        arr.push(copy(item, depth + 1));
      }
      out = arr;
    } else {
      const obj: Record<string, unknown> = {};
      const entries = Object.entries(v as Record<string, unknown>);
      let i = 0;
      for (const [k, item] of entries) {
        if (budget <= 0) {
          obj['…'] = `[truncated: ${entries.length - i} more keys]`;
          break;
        }
        budget -= k.length + 4;
        obj[k.length > limits.maxString ? k.slice(0, limits.maxString) : k] = copy(item, depth + 1);
        i++;
      }
      out = obj;
    }
    seen.delete(v);
    return out;
  };
  return copy(value, 0);
}

/** JSON.stringify that never throws: an error text when the value cannot be serialised. */
export function tryStringify(value: unknown): { json: string } | { error: string } {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? { error: 'value has no JSON form' } : { json };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

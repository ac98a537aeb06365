// A batch's encoded request, built on its first attempt and reused by every retry: the core
// hands drivers one EncodingMemo per batch (src/core/types.ts) and empties it when the batch
// is settled, so a storm of retries costs no new encoding (no re-serialising, no re-gzipping)
// and holds one compressed body per batch in flight.

import type { EncodingMemo } from '../../core/types.js';

/**
 * The memo's slots (one per request a batch becomes), taken at the start of an attempt.
 * Values set after the core emptied the memo land in a map nothing refers to any more, so an
 * attempt still running then cannot refill it. Undefined without a memo.
 */
export function encodingSlots(memo: EncodingMemo | undefined): Map<string, unknown> | undefined {
  if (!memo) return undefined;
  return (memo.encoded ??= new Map<string, unknown>()) as Map<string, unknown>;
}

/**
 * The value an earlier attempt of this batch built for `slot`, or `build()`'s, kept for the
 * next attempt. Without a memo it just builds. For drivers whose request is built by a client
 * library while it sends (OTLP, Datadog), `encodingSlots` keeps what the client built.
 */
export async function reuseEncoding<T>(memo: EncodingMemo | undefined, slot: string, build: () => T | Promise<T>): Promise<T> {
  const slots = encodingSlots(memo);
  if (!slots) return build();
  if (slots.has(slot)) return slots.get(slot) as T;
  const value = await build();
  slots.set(slot, value);
  return value;
}

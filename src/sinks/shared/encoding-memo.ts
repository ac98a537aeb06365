// A batch's encoded request, built on its first attempt and reused by every retry: the core
// hands drivers one EncodingMemo per batch (src/core/types.ts) and empties it when the batch
// is settled, so a storm of retries costs no new encoding (no re-serialising, no re-gzipping)
// and holds one compressed body per batch in flight.

import type { EncodingMemo } from '../../core/types.js';

/**
 * The value an earlier attempt of this batch built for `slot` (one per request a batch
 * becomes), or `build()`'s, kept for the next attempt. Without a memo it just builds.
 */
export async function reuseEncoding<T>(memo: EncodingMemo | undefined, slot: string, build: () => T | Promise<T>): Promise<T> {
  if (!memo) return build();
  const slots = (memo.encoded ??= new Map<string, unknown>()) as Map<string, unknown>;
  if (slots.has(slot)) return slots.get(slot) as T;
  const value = await build();
  // The core empties the memo when the batch is settled; an attempt still building then must not refill it.
  if (memo.encoded === slots) slots.set(slot, value);
  return value;
}

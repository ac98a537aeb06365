// The one condition wait of the test suite: for state that has no event to wait on (files on
// disk, component states, metrics, a child's output), poll it within a bound instead of sleeping.

/**
 * Resolves with the first truthy value `check()` returns (it may be async), polling every
 * `intervalMs`; rejects after `timeoutMs` with "timed out waiting for <what>".
 */
export async function eventually<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

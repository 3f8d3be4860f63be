// Bounded concurrency for blob transfers: at most `limit` tasks run at once; the first failure aborts the rest.

/**
 * Runs `task` for every item with at most `limit` running at once. When one fails, the shared signal is aborted so
 * the others stop promptly, and the first error is thrown once all have settled (nothing keeps running behind the
 * caller's back).
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  task: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) controller.abort(signal.reason);
  let next = 0;
  let firstError: unknown;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!controller.signal.aborted && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item, controller.signal);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
        controller.abort(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()));
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (failed) throw firstError;
  if (signal?.aborted) throw signal.reason ?? new Error("aborted");
}

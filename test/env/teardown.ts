// A global teardown that finishes, once. Under `--test-force-exit` Node's runner calls the global teardown twice and
// exits before either call passes its first `await`, so an async teardown left the whole environment folder (MinIO,
// registry and etcd data) behind and printed the secret scan twice. Everything here is synchronous and guarded by a
// flag; a process `exit` hook does the same work if the runner never calls the teardown at all.

/** What the teardown takes down. */
export interface Disposable {
  /** Kills the processes and removes the folder, synchronously. */
  stopNow(): void;
}

/**
 * Returns the teardown function for `current()` (the environment, once set up): the first call runs `report`
 * (e.g. the secret scan) and then stops the environment; later calls, and the exit hook, do nothing more.
 */
export function teardownOnce<T extends Disposable>(
  current: () => T | undefined,
  report: (env: T) => void,
): () => Promise<void> {
  let done = false;
  const run = (): void => {
    const env = current();
    if (done || !env) return;
    done = true;
    try {
      report(env);
    } finally {
      env.stopNow();
    }
  };
  process.once("exit", run);
  return async (): Promise<void> => {
    run();
    await Promise.resolve();
  };
}

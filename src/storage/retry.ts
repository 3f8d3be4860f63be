// One S3 call as every storage function makes it: a per-attempt time limit, the SDK's errors mapped to
// StorageErrors, and the transient ones retried by net's one backoff rule (src/net/backoff.ts). The SDK's own
// retries are off (s3-client.ts), so a failed request and a broken body stream are retried alike.
import { defaultRetryPolicy, withRetry, type RetryPolicy } from "../net/backoff.ts";
import { timeoutSignal } from "../net/timeout-signal.ts";
import { classifyS3Error } from "./errors.ts";

/** What bounds one S3 call. */
export interface S3CallOptions {
  /** The caller's signal; aborting it ends the call and its retries. */
  signal?: AbortSignal | undefined;
  /** Retry settings over net's defaults. */
  retry?: Partial<RetryPolicy> | undefined;
  /** Limit of each attempt in ms (default 60,000). */
  timeoutMs?: number | undefined;
}

/** The full policy of `retry` over net's defaults. */
export function retryPolicy(retry: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...defaultRetryPolicy, ...retry };
}

/** Runs `call` (an SDK `send` given its abort signal) with retries; `what` names the object in errors. */
export function callS3<T>(
  what: string,
  call: (abortSignal: AbortSignal) => Promise<T>,
  options: S3CallOptions = {},
): Promise<T> {
  return withRetry(
    async () => {
      try {
        return await call(timeoutSignal(options.signal, options.timeoutMs ?? 60_000));
      } catch (err) {
        throw classifyS3Error(err, what);
      }
    },
    retryPolicy(options.retry),
    options.signal,
  );
}

// The one retry rule of every client airlift runs (registry transport, Harbor API, S3): capped exponential backoff
// with "equal jitter" (half the ceiling fixed, half random), so clients that failed together spread out yet none
// retries at once; a server's `Retry-After` is honoured up to a cap.
// https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
import { setTimeout as sleep } from "node:timers/promises";
import { isTransient } from "./coded-error.ts";

/** How often and how patiently to retry; the delay ceiling doubles from `baseDelayMs` up to `maxDelayMs`. */
export interface RetryPolicy {
  /** Attempts in all, the first one included (default 5). */
  maxAttempts: number;
  /** The first delay ceiling (default 200 ms). */
  baseDelayMs: number;
  /** The largest delay ceiling (default 10 s). */
  maxDelayMs: number;
  /** The longest `Retry-After` honoured; longer asks are capped (default 60 s). */
  maxRetryAfterMs: number;
}

/** The defaults every client starts from. */
export const defaultRetryPolicy: Readonly<RetryPolicy> = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/** The delay before retry number `attempt` (1-based): between half the ceiling and the ceiling. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The delay before retry number `attempt`: what the server asked for (capped) when it asked, else the backoff. */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  return retryAfterMs !== undefined ? Math.min(retryAfterMs, policy.maxRetryAfterMs) : backoffDelay(policy, attempt);
}

/**
 * Runs `fn` until it succeeds, throws an error that is not transient (see `isTransient`), runs out of attempts or
 * `signal` aborts. `fn` is told the attempt number, so it can tell its last attempt from the others.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = defaultRetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isTransient(err) || attempt >= policy.maxAttempts || signal?.aborted) throw err;
      await sleep(backoffDelay(policy, attempt), undefined, { signal });
    }
  }
}

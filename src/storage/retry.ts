// Capped exponential backoff with full jitter for transient storage faults
// (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
import { setTimeout as sleep } from "node:timers/promises";

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  attempts: number;
  /** First backoff ceiling in ms (default 200). */
  baseMs: number;
  /** Largest backoff in ms (default 10,000). */
  maxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 5, baseMs: 200, maxMs: 10_000 };

/** The delay before retry number `attempt` (1-based). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.floor(Math.random() * ceiling);
}

/** True when an error says retrying may help. */
export function isTransient(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { transient?: unknown }).transient === true;
}

/** Runs `fn` until it succeeds, fails permanently, runs out of attempts or `signal` aborts. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy = defaultRetryPolicy, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isTransient(err) || attempt >= policy.attempts || signal?.aborted) throw err;
      await sleep(backoffDelay(policy, attempt), undefined, signal ? { signal } : {});
    }
  }
}

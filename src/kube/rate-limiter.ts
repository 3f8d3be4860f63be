// Rate limiters of the workqueue, as in client-go's workqueue.DefaultControllerRateLimiter: per-item exponential
// backoff, combined with an overall token bucket so a burst of failing items cannot flood the API server.

/** Decides how long an item waits before its next attempt. */
export interface RateLimiter {
  /** Delay in ms before `item` may be processed again; counts one more failure for it. */
  when(item: string): number;
  /** Clears the item's failure history (after a success). */
  forget(item: string): void;
  /** How many times the item has been rate-limited since it was last forgotten. */
  retries(item: string): number;
}

/** Per-item exponential backoff: base * 2^failures, capped. */
export class ItemExponentialBackoff implements RateLimiter {
  readonly #baseMs: number;
  readonly #capMs: number;
  readonly #failures = new Map<string, number>();

  constructor(baseMs = 1_000, capMs = 5 * 60_000) {
    this.#baseMs = baseMs;
    this.#capMs = capMs;
  }

  when(item: string): number {
    const n = this.#failures.get(item) ?? 0;
    this.#failures.set(item, n + 1);
    // 2^n overflows to Infinity past n≈1024; Math.min keeps it at the cap.
    return Math.min(this.#baseMs * 2 ** n, this.#capMs);
  }

  forget(item: string): void {
    this.#failures.delete(item);
  }

  retries(item: string): number {
    return this.#failures.get(item) ?? 0;
  }
}

/** Overall token bucket: `qps` tokens a second, at most `burst` saved up; returns the wait for the next token. */
export class TokenBucket implements RateLimiter {
  readonly #qps: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(qps = 10, burst = 100) {
    this.#qps = qps;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = Date.now();
  }

  when(_item: string): number {
    const now = Date.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1_000) * this.#qps);
    this.#last = now;
    // Reserve a token even when none is left yet: the debt is paid by waiting.
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#qps) * 1_000);
  }

  forget(_item: string): void {}

  retries(_item: string): number {
    return 0;
  }
}

/** The longest delay of several limiters; retries come from the first. */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(item: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.when(item)));
  }

  forget(item: string): void {
    for (const l of this.#limiters) l.forget(item);
  }

  retries(item: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.retries(item)));
  }
}

/** Tuning of the default controller rate limiter. */
export interface RateLimiterOptions {
  /** First retry delay (default 1 s). */
  baseDelayMs?: number;
  /** Longest retry delay (default 5 min). */
  maxDelayMs?: number;
  /** Overall retries per second (default 10) and burst (default 100). */
  qps?: number;
  burst?: number;
}

/** Per-item exponential backoff combined with an overall token bucket. */
export function defaultRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialBackoff(options.baseDelayMs ?? 1_000, options.maxDelayMs ?? 5 * 60_000),
    new TokenBucket(options.qps ?? 10, options.burst ?? 100),
  );
}

// A rate-limited workqueue of keys, with client-go's guarantees: a key is queued at most once (dirty set), is never
// handed to two workers at once (processing set; a key added while processed is queued again on `done`), and
// waits on delays (addAfter) or backoff (addRateLimited) without a worker blocked on it. It times each key as
// client-go's queue does (queued -> handed out -> done) for the workqueue_* metrics.
import type { QueueMetricsHooks, UnfinishedWork } from "../observability/workqueue-metrics.ts";
import { defaultRateLimiter, type RateLimiter } from "./rate-limiter.ts";

/** Workqueue construction options. */
export interface WorkQueueOptions {
  /** Name used in metrics. */
  name: string;
  rateLimiter?: RateLimiter;
  /** The queue's metrics (controller-runtime's workqueue_* series for this queue). */
  metrics?: QueueMetricsHooks;
}

/** Keys-only, de-duplicated, rate-limited work queue. */
export class WorkQueue {
  readonly name: string;
  readonly #limiter: RateLimiter;
  readonly #metrics: QueueMetricsHooks | undefined;
  readonly #queue: string[] = [];
  /** When each waiting key was first queued (for the queue latency). */
  readonly #addedAt = new Map<string, number>();
  /** When each in-flight key was handed out (for the work duration and the unfinished work). */
  readonly #startedAt = new Map<string, number>();
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #waiters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.#limiter = options.rateLimiter ?? defaultRateLimiter();
    this.#metrics = options.metrics;
  }

  /** Queues `key` unless it is already waiting; a key being processed is queued again when it is done. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#metrics?.add();
    if (!this.#addedAt.has(key)) this.#addedAt.set(key, performance.now());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Queues `key` after `ms`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { at, timer });
  }

  /** Queues `key` after its rate limiter's delay, counting a retry. */
  addRateLimited(key: string): number {
    const delay = this.#limiter.when(key);
    this.#metrics?.retry();
    this.addAfter(key, delay);
    return delay;
  }

  /** Ends the key's backoff history (call after a successful reconcile). */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  /** Retries counted for `key` since it was last forgotten. */
  retries(key: string): number {
    return this.#limiter.retries(key);
  }

  /** Next key to process, or undefined once the queue shuts down. The caller must call `done(key)`. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#pop();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile it goes back on the queue. */
  done(key: string): void {
    const started = this.#startedAt.get(key);
    if (started !== undefined) this.#metrics?.workDuration((performance.now() - started) / 1_000);
    this.#startedAt.delete(key);
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
  }

  /** Keys waiting (not delayed, not in progress). */
  len(): number {
    return this.#queue.length;
  }

  /** Keys currently handed out and not yet done. */
  inFlight(): number {
    return this.#processing.size;
  }

  /** Seconds of work in flight now: their sum and the oldest key's (client-go's unfinished work metrics). */
  unfinishedWork(now: number = performance.now()): UnfinishedWork {
    let totalSeconds = 0;
    let longestSeconds = 0;
    for (const started of this.#startedAt.values()) {
      const seconds = Math.max(0, now - started) / 1_000;
      totalSeconds += seconds;
      longestSeconds = Math.max(longestSeconds, seconds);
    }
    return { totalSeconds, longestSeconds };
  }

  /** True once shutDown has been called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Stops handing out work: pending delays are dropped and every waiting `get()` resolves undefined. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  #push(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#take(key);
      waiter(key);
    } else {
      this.#queue.push(key);
    }
    this.#metrics?.depth(this.#queue.length);
  }

  #pop(): string | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#take(key);
    this.#metrics?.depth(this.#queue.length);
    return key;
  }

  #take(key: string): void {
    const now = performance.now();
    const added = this.#addedAt.get(key);
    if (added !== undefined) this.#metrics?.queueLatency((now - added) / 1_000);
    this.#addedAt.delete(key);
    this.#dirty.delete(key);
    this.#processing.add(key);
    this.#startedAt.set(key, now);
  }
}

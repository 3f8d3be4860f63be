// Progress of a transfer: bytes committed per blob, summed. It never goes backwards (a retried chunk does not
// count twice) and reports at most every `intervalMs`, so status writes stay rare on multi-GB imports.

/** What a progress listener receives. */
export interface ProgressSnapshot {
  bytesDone: number;
  bytesTotal: number;
  blobsDone: number;
  blobsTotal: number;
}

export type ProgressListener = (snapshot: ProgressSnapshot) => void;

/** Aggregates per-blob progress into one monotonic, throttled stream of snapshots. */
export class ProgressTracker {
  readonly #done = new Map<string, number>();
  readonly #total = new Map<string, number>();
  readonly #finished = new Set<string>();
  readonly #listener: ProgressListener | undefined;
  readonly #intervalMs: number;
  #lastEmit = 0;
  #lastDone = -1;

  constructor(listener?: ProgressListener, intervalMs = 2_000) {
    this.#listener = listener;
    this.#intervalMs = intervalMs;
  }

  /** Declares a blob and its size (bytes as they will be uploaded, or the source size when unknown yet). */
  expect(id: string, size: number): void {
    this.#total.set(id, size);
    if (!this.#done.has(id)) this.#done.set(id, 0);
  }

  /** Records that `committed` bytes of blob `id` are committed; smaller values than before are ignored. */
  update(id: string, committed: number): void {
    const before = this.#done.get(id) ?? 0;
    const total = this.#total.get(id) ?? committed;
    // A blob reads 100 % only once the registry confirmed it (see finish).
    const capped = this.#finished.has(id) ? total : Math.min(committed, Math.max(0, total - 1));
    if (capped > before) this.#done.set(id, capped);
    this.#maybeEmit(false);
  }

  /** The blob is committed (or already present): it counts in full. */
  finish(id: string, finalSize?: number): void {
    if (finalSize !== undefined) this.#total.set(id, finalSize);
    this.#finished.add(id);
    this.#done.set(id, this.#total.get(id) ?? this.#done.get(id) ?? 0);
    this.#maybeEmit(false);
  }

  snapshot(): ProgressSnapshot {
    let bytesDone = 0;
    let bytesTotal = 0;
    for (const value of this.#done.values()) bytesDone += value;
    for (const value of this.#total.values()) bytesTotal += value;
    return {
      bytesDone: Math.min(bytesDone, bytesTotal),
      bytesTotal,
      blobsDone: this.#finished.size,
      blobsTotal: this.#total.size,
    };
  }

  /** Emits the current snapshot now (at the end of a transfer). */
  flush(): void {
    this.#maybeEmit(true);
  }

  #maybeEmit(force: boolean): void {
    if (!this.#listener) return;
    const now = Date.now();
    if (!force && now - this.#lastEmit < this.#intervalMs) return;
    const snap = this.snapshot();
    if (!force && snap.bytesDone === this.#lastDone) return;
    this.#lastEmit = now;
    this.#lastDone = snap.bytesDone;
    this.#listener(snap);
  }
}

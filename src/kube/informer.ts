// An informer: list, then watch from the list's resourceVersion, keeping an in-memory cache (the lister).
// Re-lists after `410 Gone`; after any other failure (API server down, reset, stall) it waits with capped
// exponential backoff and re-watches from the last resourceVersion it saw, re-listing if that is too old.
// Shape of client-go's reflector: https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
import type { Logger } from "pino";
import { WATCH_SILENCE_TIMEOUT_MS } from "../net/network-bounds.ts";
import { ApiError, isStatus } from "./api-error.ts";
import type { KubeClient } from "./rest-client.ts";
import {
  asKubeObject,
  collectionPath,
  keyOf,
  keyString,
  type KubeObject,
  type ObjectKey,
  type ResourceType,
} from "./resource.ts";

/** What reached the cache; handlers must not branch on it for reconcile decisions (level-based). */
export type InformerEventType = "add" | "update" | "delete" | "resync";

/** Called for every cache change and on every periodic resync; `old` is the previous copy on "update". */
export type InformerHandler = (obj: KubeObject, type: InformerEventType, old?: KubeObject) => void;

/** Informer tuning; every field has a default. */
export interface InformerOptions {
  /** Watch one namespace only; all namespaces when undefined. */
  namespace?: string;
  labelSelector?: string;
  /** e.g. `metadata.name=x`: one object, so RBAC may be limited to its name (resourceNames). */
  fieldSelector?: string;
  /** Period of the "resync" replay of every cached object (default 10 min; 0 disables). */
  resyncMs?: number;
  /** Server-side watch timeout; the server ends a quiet watch after this (default 5-10 min, randomised). */
  watchTimeoutSeconds?: number;
  /**
   * A watch that delivers no byte, not even a bookmark, for this long is treated as dead and resumed (default
   * WATCH_SILENCE_TIMEOUT_MS: the API server bookmarks a quiet watch every minute).
   */
  stallTimeoutMs?: number;
  /** Backoff between failed attempts: base and cap (default 1 s and 30 s). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Page size of the list call (default 500). */
  pageSize?: number;
  /** List and watch PartialObjectMetadata only (client-go's metadata informer): no spec, data or status. */
  metadataOnly?: boolean;
  /** Applied to each object before it is cached (client-go's SetTransform), e.g. to drop managedFields. */
  transform?: (obj: KubeObject) => KubeObject;
  log?: Logger;
}

// Metadata-only answers (the content negotiation client-go's metadata client uses), JSON as the fallback.
const METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
const METADATA_WATCH_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

interface WatchEvent {
  type: string;
  object: unknown;
}

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

/** Cached, watched view of one kind. */
export class Informer {
  readonly type: ResourceType;
  readonly #client: KubeClient;
  readonly #opts: InformerOptions;
  readonly #cache = new Map<string, KubeObject>();
  readonly #handlers: InformerHandler[] = [];
  readonly #stop = new AbortController();
  #resourceVersion = "";
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #loop: Promise<void> | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #relists = 0;

  constructor(client: KubeClient, type: ResourceType, options: InformerOptions = {}) {
    this.#client = client;
    this.type = type;
    this.#opts = options;
  }

  /** Adds a handler; add handlers before `start()` so none misses the initial list. */
  on(handler: InformerHandler): void {
    this.#handlers.push(handler);
  }

  /** Starts the list-watch loop in the background (idempotent). */
  start(): void {
    if (this.#loop) return;
    this.#loop = this.#run();
    const resync = this.#opts.resyncMs ?? 10 * 60_000;
    if (resync > 0) {
      this.#resyncTimer = setInterval(() => this.#resync(), resync);
      this.#resyncTimer.unref();
    }
  }

  /** Stops watching; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#resyncTimer);
    await this.#loop;
  }

  /** True once the first list has filled the cache. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Number of full lists done so far (the first one included); grows after 410 Gone. */
  get relists(): number {
    return this.#relists;
  }

  /** Resolves when the cache has synced; rejects if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void =>
        reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted waiting for cache sync"));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  /** The cached object, or undefined. */
  get(key: ObjectKey): KubeObject | undefined {
    return this.#cache.get(keyString(key));
  }

  /** Cached objects, optionally of one namespace. */
  list(namespace?: string): KubeObject[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((o) => (o.metadata.namespace ?? "") === namespace);
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        if (!this.#resourceVersion) await this.#list(signal);
        const began = Date.now();
        await this.#watch(signal);
        // A watch the server ends at once (a proxy closing it, say) must not become a hot loop.
        if (Date.now() - began < 1_000) throw new Error(`watch of ${this.type.plural} ended immediately`);
        this.#failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        if (isStatus(err, 410)) {
          // Our resourceVersion was compacted away: only a fresh list can resume.
          this.#resourceVersion = "";
          continue;
        }
        this.#failures++;
        const base = this.#opts.backoffBaseMs ?? 1_000;
        const delay = Math.min(base * 2 ** (this.#failures - 1), this.#opts.backoffCapMs ?? 30_000);
        this.#opts.log?.warn({ kind: this.type.kind, err: errText(err), retryInMs: delay }, "watch failed; retrying");
        await sleep(delay, signal);
      }
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await this.#listPage(cont, signal);
      for (const item of page.items ?? []) items.push(this.#transform(asKubeObject(item)));
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? "";
    } while (cont);
    this.#replace(items);
    this.#resourceVersion = rv;
    this.#relists++;
    this.#markSynced();
  }

  #listPage(cont: string | undefined, signal: AbortSignal): Promise<ListPage> {
    return this.#client.request<ListPage>(collectionPath(this.type, this.#opts.namespace), {
      query: { limit: this.#opts.pageSize ?? 500, continue: cont, ...this.#selectors() },
      signal,
      timeoutMs: 60_000,
      accept: this.#opts.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
    });
  }

  #selectors(): { labelSelector?: string; fieldSelector?: string } {
    return { labelSelector: this.#opts.labelSelector, fieldSelector: this.#opts.fieldSelector };
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    for (const w of this.#syncWaiters.splice(0)) w();
  }

  #replace(items: KubeObject[]): void {
    const fresh = new Set<string>();
    for (const obj of items) {
      const k = keyString(keyOf(obj));
      fresh.add(k);
      this.#store(obj);
    }
    for (const [k, old] of this.#cache) {
      if (fresh.has(k)) continue;
      this.#cache.delete(k);
      this.#emit(old, "delete");
    }
  }

  #store(obj: KubeObject): void {
    const k = keyString(keyOf(obj));
    const old = this.#cache.get(k);
    this.#cache.set(k, obj);
    if (!old) this.#emit(obj, "add");
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#emit(obj, "update", old);
  }

  async #watch(signal: AbortSignal): Promise<void> {
    const timeoutSeconds = this.#opts.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
    const stallMs = this.#opts.stallTimeoutMs ?? WATCH_SILENCE_TIMEOUT_MS;
    const watch = new AbortController();
    const both = AbortSignal.any([signal, watch.signal]);
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(
        () => watch.abort(new Error(`watch of ${this.type.plural} stalled: no data for ${stallMs} ms`)),
        stallMs,
      );
    };
    arm();
    try {
      const body = await this.#client.stream(collectionPath(this.type, this.#opts.namespace), {
        query: {
          watch: true,
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          ...this.#selectors(),
        },
        signal: both,
        accept: this.#opts.metadataOnly ? METADATA_WATCH_ACCEPT : undefined,
      });
      let buffered = "";
      for await (const chunk of body) {
        arm();
        const lines = (buffered + chunk.toString("utf8")).split("\n");
        // The last piece is an incomplete line (or "" after a newline): keep it for the next chunk.
        buffered = lines.pop() ?? "";
        this.#applyLines(lines);
      }
    } catch (err) {
      if (watch.signal.aborted && !signal.aborted) throw watch.signal.reason as Error;
      throw err;
    } finally {
      clearTimeout(timer);
      watch.abort();
    }
  }

  #applyLines(lines: readonly string[]): void {
    for (const line of lines) if (line.trim()) this.#apply(JSON.parse(line) as WatchEvent);
  }

  #apply(event: WatchEvent): void {
    if (event.type === "ERROR") {
      const status = (event.object ?? {}) as { code?: number; reason?: string; message?: string };
      throw new ApiError(
        status.code ?? 500,
        status.reason ?? "",
        `watch ${this.type.plural}: ${status.message ?? "error event"}`,
      );
    }
    const obj = this.#transform(asKubeObject(event.object));
    if (event.type === "ADDED" || event.type === "MODIFIED") this.#store(obj);
    else if (event.type === "DELETED") {
      this.#cache.delete(keyString(keyOf(obj)));
      this.#emit(obj, "delete");
    }
    // BOOKMARK carries only a newer resourceVersion.
    if (obj.metadata.resourceVersion) this.#resourceVersion = obj.metadata.resourceVersion;
  }

  #transform(obj: KubeObject): KubeObject {
    return this.#opts.transform ? this.#opts.transform(obj) : obj;
  }

  #resync(): void {
    for (const obj of this.#cache.values()) this.#emit(obj, "resync");
  }

  #emit(obj: KubeObject, type: InformerEventType, old?: KubeObject): void {
    for (const h of this.#handlers) {
      try {
        h(obj, type, old);
      } catch (err) {
        this.#opts.log?.error({ kind: this.type.kind, err: errText(err) }, "informer handler threw");
      }
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

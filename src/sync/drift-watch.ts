// Drift between syncs, seen as it happens (Config Sync's remediator does the same with its per-kind watches): one
// metadata-only watch per kind the inventory holds, in each namespace it uses (a tenant sync: its own namespace
// only; a root sync whose objects of a kind span more than NAMESPACE_FANOUT namespaces: one cluster-wide watch of
// that kind), label-selected to the sync's own objects and opened through the sync's identity (a tenant's watches
// are its ServiceAccount's). After each sync `expect` records what the apply answered; a later event that deletes an
// expected object, takes our labels off it (the label-selected watch reports that as a deletion), changes its
// generation (a spec change), its source-digest annotation, or any field of a kind without a generation (a
// ConfigMap's data) is drift, and `onDrift` is called once, so the owner can sync again within seconds. Status-only
// writes (same generation) are not drift. Steady state costs nothing but the open watches: no LIST per period.
// https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
import type { KubeConfig } from "../kube/kube-config.ts";
import type { Logger } from "pino";
import { Informer } from "../kube/informer.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import type { KubeObject, ResourceType } from "../kube/resource.ts";
import type { ApplyResult } from "./apply.ts";
import { syncClient, type Impersonation } from "./client.ts";
import { Discovery } from "./discovery.ts";
import { identityKey } from "./identity.ts";
import { entryApiVersion, type InventoryEntry } from "./inventory.ts";
import { ANNOTATION_SOURCE_DIGEST, ownerSelector, type SyncOwner } from "./ownership.ts";

/** Above this many namespaces for one kind, a root sync watches the kind cluster-wide (still label-selected). */
export const NAMESPACE_FANOUT = 10;

/** What the last apply left on one object. */
interface Expected {
  resourceVersion: string;
  generation: number | undefined;
  /** `group|kind` and namespace, to find the watch that covers it. */
  kind: string;
  namespace: string;
  name: string;
}

/** How long `expect` waits for new watches' first list before reporting them not ready. */
const FIRST_LIST_TIMEOUT_MS = 30_000;

/** Options of a DriftWatch. */
export interface DriftWatchOptions {
  kubeConfig: KubeConfig;
  impersonate?: Impersonation;
  owner: SyncOwner;
  /** A tenant sync watches in its own namespace only. */
  tenantNamespace?: string;
  /** Called once per drift (again only after the next `expect`). */
  onDrift: (what: string) => void;
  log?: Logger;
}

interface WatchGroup {
  type: ResourceType;
  group: string;
  /** undefined: every namespace (or a cluster-scoped kind). */
  namespace: string | undefined;
}

/** Keeps only what the drift decision reads (client-go's transform that drops managedFields). */
function slim(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      resourceVersion: m.resourceVersion,
      generation: m.generation,
      annotations: { [ANNOTATION_SOURCE_DIGEST]: m.annotations?.[ANNOTATION_SOURCE_DIGEST] ?? "" },
    },
  };
}

/** The watches of one sync; see the file comment. */
export class DriftWatch {
  readonly #opts: DriftWatchOptions;
  readonly #client: KubeClient;
  readonly #discovery: Discovery;
  readonly #informers = new Map<string, Informer>();
  #expected = new Map<string, Expected>();
  #digest = "";
  #drifted: string | undefined;
  /** False while a sync runs: its own writes are not drift. */
  #armed = false;

  constructor(options: DriftWatchOptions) {
    this.#opts = options;
    this.#client = syncClient(options.kubeConfig, options.impersonate);
    this.#discovery = new Discovery(this.#client);
  }

  /** What drifted since the last `expect`, or undefined. */
  get drifted(): string | undefined {
    return this.#drifted;
  }

  /** True when every watch has listed: only then does "no event" mean "no drift". */
  get ready(): boolean {
    return this.#armed && [...this.#informers.values()].every((i) => i.hasSynced());
  }

  /** A sync starts: its own writes must not count as drift. */
  pause(): void {
    this.#armed = false;
  }

  /**
   * After a sync: the objects to watch and what their apply answered. Opens the watches new kinds or namespaces
   * need and closes the ones no longer needed; objects the apply did not answer for are not compared.
   */
  async expect(
    inventory: readonly InventoryEntry[],
    results: readonly ApplyResult[],
    sourceDigest: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const expected = new Map<string, Expected>();
    for (const r of results)
      if (r.resourceVersion && r.owned && r.action !== "skipped")
        expected.set(identityKey(r.identity), {
          resourceVersion: r.resourceVersion,
          generation: r.generation,
          kind: `${r.identity.group}|${r.identity.kind}`,
          namespace: r.identity.namespace,
          name: r.identity.name,
        });
    this.#expected = expected;
    this.#digest = sourceDigest;
    this.#drifted = undefined;
    const started = await this.#rewatch(await this.#groups(inventory, signal));
    const first = AbortSignal.any([AbortSignal.timeout(FIRST_LIST_TIMEOUT_MS), ...(signal ? [signal] : [])]);
    await Promise.all(started.map(([, i]) => i.waitForSync(first))).catch(() => undefined);
    signal?.throwIfAborted();
    this.#armed = true;
    // A new watch listed after the apply: what it found is compared now (an older watch reports by its events).
    for (const [g, i] of started) if (i.hasSynced()) this.#compareListed(g, i);
  }

  /** Closes every watch and the client. */
  async stop(): Promise<void> {
    this.#armed = false;
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
    this.#informers.clear();
    await this.#client.close();
  }

  async #groups(inventory: readonly InventoryEntry[], signal?: AbortSignal): Promise<Map<string, WatchGroup>> {
    const byKind = new Map<string, { apiVersion: string; kind: string; namespaces: Set<string> }>();
    for (const e of inventory) {
      const k = `${entryApiVersion(e)}|${e.kind}`;
      const g = byKind.get(k) ?? { apiVersion: entryApiVersion(e), kind: e.kind, namespaces: new Set<string>() };
      g.namespaces.add(e.namespace);
      byKind.set(k, g);
    }
    const groups = new Map<string, WatchGroup>();
    for (const k of byKind.values()) {
      const type = await this.#discovery.lookup(k.apiVersion, k.kind, signal);
      if (!type) continue; // the kind is gone, and its objects with it: the next sync reports them
      const group = k.apiVersion.includes("/") ? (k.apiVersion.split("/")[0] ?? "") : "";
      for (const namespace of this.#namespaces(type, k.namespaces))
        groups.set(`${type.plural}.${group}|${namespace ?? "*"}`, { type, group, namespace });
    }
    return groups;
  }

  #namespaces(type: ResourceType, used: ReadonlySet<string>): (string | undefined)[] {
    if (!type.namespaced) return [undefined];
    if (this.#opts.tenantNamespace !== undefined) return [this.#opts.tenantNamespace];
    return used.size > NAMESPACE_FANOUT ? [undefined] : [...used];
  }

  /** Opens the watches `groups` needs that are not open yet, closes the others; returns the new ones. */
  async #rewatch(groups: ReadonlyMap<string, WatchGroup>): Promise<[WatchGroup, Informer][]> {
    const stale = [...this.#informers.keys()].filter((k) => !groups.has(k));
    await Promise.all(stale.map(async (k) => this.#informers.get(k)?.stop()));
    for (const k of stale) this.#informers.delete(k);
    const started: [WatchGroup, Informer][] = [];
    for (const [k, g] of groups) {
      if (this.#informers.has(k)) continue;
      const informer = new Informer(this.#client, g.type, {
        namespace: g.namespace,
        labelSelector: ownerSelector(this.#opts.owner),
        metadataOnly: true,
        transform: slim,
        resyncMs: 0,
        log: this.#opts.log,
      });
      informer.on((obj, type) => this.#seen(g, obj, type === "delete"));
      this.#informers.set(k, informer);
      started.push([g, informer]);
      informer.start();
    }
    return started;
  }

  /** The first list of a new watch against the expectations it covers: changed, and missing, objects are drift. */
  #compareListed(g: WatchGroup, informer: Informer): void {
    const listed = new Set<string>();
    for (const obj of informer.list()) {
      listed.add(`${obj.metadata.namespace ?? ""}/${obj.metadata.name}`);
      this.#seen(g, obj, false);
    }
    const kind = `${g.group}|${g.type.kind}`;
    for (const want of this.#expected.values()) {
      if (this.#drifted) return;
      if (want.kind !== kind || (g.namespace !== undefined && want.namespace !== g.namespace)) continue;
      if (listed.has(`${want.namespace}/${want.name}`)) continue;
      this.#drifted = `${g.type.kind} ${want.namespace ? `${want.namespace}/` : ""}${want.name} is missing`;
      this.#opts.onDrift(this.#drifted);
    }
  }

  #seen(g: WatchGroup, obj: KubeObject, deleted: boolean): void {
    if (!this.#armed || this.#drifted) return;
    const id = { group: g.group, kind: g.type.kind, namespace: obj.metadata.namespace ?? "", name: obj.metadata.name };
    const key = identityKey(id);
    const want = this.#expected.get(key);
    if (!want) return;
    const what = driftOf(want, obj, deleted, this.#digest);
    if (!what) {
      // A status write: follow its resourceVersion so the next comparison starts from it.
      want.resourceVersion = obj.metadata.resourceVersion ?? want.resourceVersion;
      return;
    }
    this.#drifted = `${g.type.kind} ${id.namespace ? `${id.namespace}/` : ""}${id.name} ${what}`;
    this.#opts.onDrift(this.#drifted);
  }
}

/** Why an event is drift, or undefined when it is not. */
function driftOf(want: Expected, obj: KubeObject, deleted: boolean, digest: string): string | undefined {
  if (deleted) return "was deleted or lost its owner labels";
  const m = obj.metadata;
  if (m.resourceVersion === want.resourceVersion) return undefined;
  if (m.annotations?.[ANNOTATION_SOURCE_DIGEST] !== digest) return "has another source-digest annotation";
  if (want.generation === undefined) return "was changed";
  return m.generation === want.generation ? undefined : "had its spec changed";
}

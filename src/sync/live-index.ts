// Who owns what, before applying: one metadata-only LIST per kind and namespace of the set (objects carrying an
// owner label only) instead of a GET per object. Apply needs just two facts about a live object: the owner its
// labels name (another owner's object is left alone; our own is applied with force) and its resourceVersion (to
// tell `unchanged` from `configured`). An object absent from the index either does not exist or carries no owner
// label; both are applied without force, as before. A group whose LIST fails (a tenant without `list`) is simply
// not covered and its objects fall back to a GET each.
import type { KubeClient } from "../kube/rest-client.ts";
import { collectionPath, type KubeObject } from "../kube/resource.ts";
import { LABEL_OWNER_NAME, ownerFromLabels, type SyncOwner } from "./ownership.ts";
import type { ResolvedObject } from "./scope.ts";

/** What apply needs to know of a live object. */
export interface LiveMeta {
  /** The owner its labels name, undefined when it carries none. */
  owner: SyncOwner | undefined;
  resourceVersion: string | undefined;
  /** Which incarnation (spec.force deletes exactly this uid before creating it again). */
  uid: string | undefined;
}

/** The answer for one object: `covered` false when its group was not listed (apply must read it itself). */
export interface LiveLookup {
  covered: boolean;
  live?: LiveMeta;
}

// PartialObjectMetadataList: names, labels and resourceVersions without spec, data or status.
const METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
const PAGE_SIZE = 500;

function groupOf(obj: ResolvedObject): string {
  return collectionPath(obj.type, obj.type.namespaced ? obj.identity.namespace : undefined);
}

/** Labelled live objects of the groups a sync applies to, by collection path and name. */
export class LiveIndex {
  readonly #covered = new Set<string>();
  readonly #byKey = new Map<string, LiveMeta>();

  /** What is known of `obj`'s live copy. */
  lookup(obj: ResolvedObject): LiveLookup {
    const group = groupOf(obj);
    if (!this.#covered.has(group)) return { covered: false };
    return { covered: true, live: this.#byKey.get(`${group}/${obj.identity.name}`) };
  }

  /** Lists one group; a failure leaves it uncovered. */
  async add(client: KubeClient, group: string, signal?: AbortSignal): Promise<void> {
    const found = new Map<string, LiveMeta>();
    let cont: string | undefined;
    try {
      do {
        const page = await client.request<{ items?: KubeObject[]; metadata?: { continue?: string } }>(group, {
          query: { labelSelector: LABEL_OWNER_NAME, limit: PAGE_SIZE, continue: cont },
          accept: METADATA_LIST_ACCEPT,
          signal,
        });
        for (const item of page.items ?? [])
          found.set(`${group}/${item.metadata.name}`, {
            owner: ownerFromLabels(item.metadata.labels),
            resourceVersion: item.metadata.resourceVersion,
            uid: item.metadata.uid,
          });
        cont = page.metadata?.continue || undefined;
      } while (cont);
    } catch {
      signal?.throwIfAborted();
      return; // not covered: apply reads these objects one by one
    }
    for (const [k, v] of found) this.#byKey.set(k, v);
    this.#covered.add(group);
  }
}

/** Lists the groups of `objects` (sequentially: a handful of calls, each paginated). */
export async function indexLive(
  client: KubeClient,
  objects: readonly ResolvedObject[],
  signal?: AbortSignal,
): Promise<LiveIndex> {
  const index = new LiveIndex();
  for (const group of new Set(objects.map(groupOf))) await index.add(client, group, signal);
  return index;
}

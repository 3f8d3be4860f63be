// API discovery: which resource (plural) serves a kind and whether it is namespaced. Resource lists are cached per
// group-version and fetched again on a miss, because a CRD applied a moment ago adds kinds to a cached group.
// https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api
import { isNotFound } from "../kube/api-error.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import type { ResourceType } from "../kube/resource.ts";
import { splitApiVersion } from "./identity.ts";

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** Narrows an APIResourceList body, keeping top-level resources (not `pods/status`-style subresources). */
function parseResourceList(body: unknown): ApiResource[] {
  const list = (body as { resources?: unknown } | undefined)?.resources;
  if (!Array.isArray(list)) return [];
  const out: ApiResource[] = [];
  for (const r of list as Record<string, unknown>[]) {
    if (typeof r.name !== "string" || typeof r.kind !== "string" || r.name.includes("/")) continue;
    out.push({ name: r.name, kind: r.kind, namespaced: r.namespaced === true });
  }
  return out;
}

/** Cached discovery over one client. Safe to share across syncs of the same API server. */
export class Discovery {
  readonly #client: KubeClient;
  readonly #cache = new Map<string, Promise<ApiResource[]>>();

  constructor(client: KubeClient) {
    this.#client = client;
  }

  /**
   * The resource type serving `kind` in `apiVersion`, or undefined when the API server does not serve it
   * (for a custom resource: its CRD is not installed or not yet established).
   */
  async lookup(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ResourceType | undefined> {
    const cached = await this.#resources(apiVersion, signal, false);
    let found = cached.find((r) => r.kind === kind);
    if (!found) found = (await this.#resources(apiVersion, signal, true)).find((r) => r.kind === kind);
    if (!found) return undefined;
    const { group, version } = splitApiVersion(apiVersion);
    return { group, version, kind, plural: found.name, namespaced: found.namespaced };
  }

  /** Forgets everything (for example after CRDs were deleted). */
  invalidate(): void {
    this.#cache.clear();
  }

  #resources(apiVersion: string, signal: AbortSignal | undefined, refresh: boolean): Promise<ApiResource[]> {
    const existing = this.#cache.get(apiVersion);
    if (existing && !refresh) return existing;
    const { group, version } = splitApiVersion(apiVersion);
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const fetched = this.#client
      .request(path, { signal, timeoutMs: 15_000 })
      .then(parseResourceList, (err: unknown) => {
        if (isNotFound(err)) return [];
        this.#cache.delete(apiVersion); // a transient failure must not stick
        throw err;
      });
    this.#cache.set(apiVersion, fetched);
    return fetched;
  }
}

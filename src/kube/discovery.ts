// Discovery checks before the controllers start: an operator whose CustomResourceDefinitions are not installed
// would otherwise start informers that fail forever with 404s, and say nothing useful.
import { isNotFound } from "./api-error.ts";
import type { KubeClient } from "./rest-client.ts";

/** The names a served resource is checked by. */
export interface ServedResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
}

interface ApiResourceList {
  resources?: { name: string }[];
}

/** The resources of `wanted` the API server does not serve (their CRD is missing or not yet established). */
export async function missingResources(
  client: KubeClient,
  wanted: readonly ServedResource[],
  signal?: AbortSignal,
): Promise<ServedResource[]> {
  const byGroupVersion = new Map<string, ServedResource[]>();
  for (const r of wanted)
    byGroupVersion.set(`${r.group}/${r.version}`, [...(byGroupVersion.get(`${r.group}/${r.version}`) ?? []), r]);
  const missing: ServedResource[] = [];
  for (const [groupVersion, resources] of byGroupVersion) {
    let served: Set<string>;
    try {
      const list = await client.request<ApiResourceList>(`/apis/${groupVersion}`, signal ? { signal } : {});
      served = new Set((list.resources ?? []).map((r) => r.name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      served = new Set();
    }
    missing.push(...resources.filter((r) => !served.has(r.plural)));
  }
  return missing;
}

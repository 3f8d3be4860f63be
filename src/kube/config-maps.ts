// Writing a ConfigMap the operator keeps (an OciSync's large inventory, a drop-box's outcomes, the published site
// profile): one server-side apply, forced under the operator's field manager, optionally owned by the object it
// belongs to so that garbage collection removes it with that object.
import type { ApiObject } from "../api/meta.ts";
import type { KubeClient } from "./rest-client.ts";
import { CONFIG_MAPS, objectPath } from "./resource.ts";

/** The ConfigMap to apply. */
export interface OwnedConfigMap {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  /** The object that owns it (controller reference); none: it stands alone. */
  owner?: ApiObject & { apiVersion: string; kind: string };
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** Server-side applies `cm` (field manager `airlift` unless given). */
export async function applyConfigMap(
  client: KubeClient,
  cm: OwnedConfigMap,
  options: { fieldManager?: string; signal?: AbortSignal } = {},
): Promise<void> {
  const owner = cm.owner;
  const body = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: cm.name,
      namespace: cm.namespace,
      ...(cm.labels ? { labels: cm.labels } : {}),
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: owner.apiVersion,
                kind: owner.kind,
                name: owner.metadata.name,
                uid: owner.metadata.uid ?? "",
                controller: true,
              },
            ],
          }
        : {}),
    },
    ...(cm.data ? { data: cm.data } : {}),
    ...(cm.binaryData ? { binaryData: cm.binaryData } : {}),
  };
  await client.request(objectPath(CONFIG_MAPS, { namespace: cm.namespace, name: cm.name }), {
    method: "PATCH",
    patchType: "apply",
    query: { fieldManager: options.fieldManager ?? "airlift", force: true },
    body,
    signal: options.signal,
  });
}

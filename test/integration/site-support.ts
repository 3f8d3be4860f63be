// Shared fixture of the site tests: the Harbor operator's HarborCluster kind with its real group and version
// (goharbor.io/v1beta1; only spec.externalURL matters to airlift), served by the test API server.
import { HARBOR_CLUSTERS } from "../../src/controllers/site-discovery.ts";
import { missingResources } from "../../src/kube/discovery.ts";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { waitFor } from "./ocisync-support.ts";

/** Applies the HarborCluster CRD (server-side, as `fieldManager`) and waits until the kind is served. */
export async function applyHarborClusterCrd(admin: KubeClient, fieldManager: string): Promise<void> {
  await admin.request("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/harborclusters.goharbor.io", {
    method: "PATCH",
    patchType: "apply",
    query: { fieldManager, force: true },
    body: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "harborclusters.goharbor.io" },
      spec: {
        group: "goharbor.io",
        scope: "Namespaced",
        names: {
          plural: "harborclusters",
          singular: "harborcluster",
          kind: "HarborCluster",
          listKind: "HarborClusterList",
        },
        versions: [
          {
            name: "v1beta1",
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        ],
      },
    },
  });
  await waitFor(
    "HarborCluster served",
    async () => ((await missingResources(admin, [HARBOR_CLUSTERS])).length === 0 ? true : undefined),
    30_000,
  );
}

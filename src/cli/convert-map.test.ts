import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { convertDocument } from "./convert-map.ts";

const options = { rootNamespace: "airlift-system" };
const rootSync = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: "configsync.gke.io/v1beta1",
  kind: "RootSync",
  metadata: { name: "root-sync", namespace: "config-management-system", ...metadata },
  spec: { sourceType: "oci", ...spec },
});

describe("convertDocument", () => {
  it("carries image, dir, period and auth none into a root OciSync in the operator's namespace", () => {
    const c = convertDocument(
      rootSync({ oci: { image: "r.example/c:v1", dir: "a", period: "30s", auth: "none" } }),
      options,
    );
    assert.deepEqual(c.dropped, []);
    assert.deepEqual(c.object, {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "OciSync",
      metadata: { name: "root-sync", namespace: "airlift-system" },
      spec: { sourceFormat: "unstructured", oci: { image: "r.example/c:v1", dir: "a", period: "30s", auth: "none" } },
    });
  });

  it("reports Google auth, hierarchy, overrides and labels it cannot carry, each with its path", () => {
    const c = convertDocument(
      rootSync(
        {
          sourceFormat: "hierarchy",
          oci: {
            image: "r.example/c:v1",
            auth: "gcpserviceaccount",
            gcpServiceAccountEmail: "sa@p.iam.gserviceaccount.com",
          },
          override: { reconcileTimeout: "2m", resources: [{ containerName: "reconciler", memoryLimit: "1Gi" }] },
        },
        { labels: { team: "a" } },
      ),
      options,
    );
    assert.deepEqual(c.dropped.map((d) => `${d.path}=${d.value}`).sort(), [
      "metadata.labels.team=a",
      "spec.oci.auth=gcpserviceaccount",
      "spec.oci.gcpServiceAccountEmail=sa@p.iam.gserviceaccount.com",
      "spec.override.resources[0].containerName=reconciler",
      "spec.override.resources[0].memoryLimit=1Gi",
      "spec.sourceFormat=hierarchy",
    ]);
    assert.equal((c.object?.spec as { timeout: string }).timeout, "2m");
  });

  it("keeps a RepoSync in its namespace, with Config Sync's CA key and deletion propagation", () => {
    const c = convertDocument(
      {
        apiVersion: "configsync.gke.io/v1beta1",
        kind: "RepoSync",
        metadata: {
          name: "repo-sync",
          namespace: "team-a",
          annotations: { "configsync.gke.io/deletion-propagation-policy": "Foreground" },
        },
        spec: { sourceType: "oci", oci: { image: "r.example/c:v1", caCertSecretRef: { name: "ca" } } },
      },
      options,
    );
    assert.deepEqual(c.dropped, []);
    assert.deepEqual(c.object?.metadata, {
      name: "repo-sync",
      namespace: "team-a",
      annotations: { "configsync.gke.io/deletion-propagation-policy": "Foreground" },
    });
    assert.deepEqual((c.object?.spec as { oci: unknown }).oci, {
      image: "r.example/c:v1",
      auth: "none",
      caCertSecretRef: { name: "ca", key: "cert" },
    });
  });

  it("converts nothing from a git source or another kind, and says why", () => {
    const git = convertDocument(rootSync({ sourceType: "git", git: { repo: "https://example.com/r" } }), options);
    assert.equal(git.object, undefined);
    assert.equal(git.dropped[0]?.path, "spec.sourceType");
    const cm = convertDocument({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }, options);
    assert.equal(cm.object, undefined);
    assert.match(cm.dropped[0]?.why ?? "", /not a Config Sync RootSync or RepoSync/);
  });
});

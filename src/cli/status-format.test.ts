import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatStatus, formatTime, shortDigest } from "./status-format.ts";
import { sortReport, type OciSyncReport, type StatusReport } from "./status-report.ts";

const D1 = `sha256:${"ab12cd34".repeat(8)}`;
const D2 = `sha256:${"9f".repeat(32)}`;

function sync(over: Partial<OciSyncReport>): OciSyncReport {
  return {
    namespace: "airlift-system",
    name: "root",
    image: "harbor.example.com/config/app:v1",
    state: "SYNCED",
    errors: [],
    resources: [],
    ...over,
  };
}

describe("airlift status text", () => {
  it("shortens digests to the algorithm and 8 hex digits", () => {
    assert.equal(shortDigest(D1), "sha256:ab12cd34");
    assert.equal(shortDigest(undefined), "");
  });

  it("prints times in UTC, and nothing for a missing or bad one", () => {
    assert.equal(formatTime("2026-03-04T05:06:07Z"), "2026-03-04 05:06:07 UTC");
    assert.equal(formatTime("2026-03-04T07:06:07+02:00"), "2026-03-04 05:06:07 UTC");
    assert.equal(formatTime("soon"), "");
  });

  it("lays out each OciSync like nomos status: SYNCED @ time, short digest, kind.group/name sorted", () => {
    const report: StatusReport = sortReport({
      context: "prod",
      ociSyncs: [
        sync({
          namespace: "team-b",
          name: "apps",
          state: "ERROR",
          digest: D2,
          reason: "ApplyFailed",
          message: "1 object failed",
          errors: [{ code: "ApplyFailed", message: "deployment.apps/web: forbidden" }],
        }),
        sync({
          syncedAt: "2026-03-04T05:06:07Z",
          digest: D1,
          resources: [
            { group: "apps", version: "v1", kind: "Deployment", namespace: "web", name: "web", status: "Current" },
            { group: "", version: "v1", kind: "Namespace", name: "web", status: "Current" },
            {
              group: "rbac.authorization.k8s.io",
              version: "v1",
              kind: "ClusterRole",
              name: "viewer",
              status: "InProgress",
            },
          ],
        }),
      ],
      resources: [
        { kind: "ImageImport", namespace: "team-a", name: "db", ready: "False", reason: "SourceNotFound" },
        { kind: "ArtifactPull", namespace: "team-a", name: "demo", ready: "True", reason: "Succeeded", digest: D2 },
      ],
    });
    const text = formatStatus(report, "airlift-system");
    assert.equal(
      text,
      [
        "*prod",
        "   --------------------",
        "   <root>:root                        harbor.example.com/config/app:v1",
        "   SYNCED @ 2026-03-04 05:06:07 UTC   sha256:ab12cd34",
        "   Managed resources:",
        "      NAMESPACE   NAME                                           STATUS       SOURCEHASH",
        "                  clusterrole.rbac.authorization.k8s.io/viewer   InProgress   sha256:ab12cd34",
        "                  namespace/web                                  Current      sha256:ab12cd34",
        "      web         deployment.apps/web                            Current      sha256:ab12cd34",
        "",
        "   --------------------",
        "   team-b:apps   harbor.example.com/config/app:v1",
        "   ERROR         sha256:9f9f9f9f",
        "   ApplyFailed: 1 object failed",
        "   Error ApplyFailed: deployment.apps/web: forbidden",
        "   Managed resources:",
        "      none",
        "",
        "KIND           NAME          READY   REASON           DIGEST",
        "ArtifactPull   team-a/demo   True    Succeeded        sha256:9f9f9f9f",
        "ImageImport    team-a/db     False   SourceNotFound",
        "",
      ].join("\n"),
    );
  });

  it("says so when there is no OciSync", () => {
    assert.equal(formatStatus({ context: "dev", ociSyncs: [], resources: [] }, undefined), "*dev\n   no OciSyncs\n");
  });

  it("shows the site profile the operator publishes, each value with its origin, before the syncs", () => {
    const report: StatusReport = {
      context: "site-a",
      ociSyncs: [],
      resources: [],
      site: {
        profile: "gdc",
        dnsSuffix: { value: "zone1.example.com", origin: "from ConfigMap gpc-system/dnssuffix" },
        registry: {
          value: "harbor.zone1.example.com",
          origin: "from HarborCluster harbor-system/harbor in admin cluster (Secret airlift-system/admin-kubeconfig)",
        },
        trust: "system roots + ConfigMap airlift-system/org-ca (key ca.crt, 1 cert)",
        secretSourceNamespaces: ["object-storage-access-keys", "harbor-system"],
        watched: [],
      },
    };
    assert.equal(
      formatStatus(report, "airlift-system"),
      [
        "*site-a",
        "Site (operator in airlift-system, profile gdc):",
        "   DNS suffix      zone1.example.com   from ConfigMap gpc-system/dnssuffix",
        "   Registry        harbor.zone1.example.com   from HarborCluster harbor-system/harbor in admin cluster (Secret airlift-system/admin-kubeconfig)",
        "   Object storage  (none)",
        "   Trust           system roots + ConfigMap airlift-system/org-ca (key ca.crt, 1 cert)",
        "   Secret sources  object-storage-access-keys, harbor-system",
        "   no OciSyncs",
        "",
      ].join("\n"),
    );
  });
});

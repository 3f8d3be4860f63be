// OciSync beyond the seed: a CRD and its custom resources in one image; 500 and 2,000 objects (time to first sync
// printed as a measurement); a tenant sync that refuses cluster-scoped and foreign-namespace objects and applies as
// its ServiceAccount, whose missing permission is named in status while the rest is applied.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createOciSync,
  ensureNamespace,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  waitReady,
  getOciSync,
  type TestOperator,
} from "./ocisync-support.ts";
import { objectExists } from "./kube-support.ts";

const opNs = unique("ocis-scale");
let op: TestOperator;

function configMaps(ns: string, count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let f = 0; f < 10; f++) {
    const docs: string[] = [];
    for (let i = f; i < count; i += 10)
      docs.push(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: ${ns}\ndata:\n  i: "${i}"\n`,
      );
    files[`cms/part-${f}.yaml`] = docs.join("---\n");
  }
  return files;
}

describe("OciSync at scale and across tenants", () => {
  before(async () => {
    op = await startOperator(opNs, opNs);
  });
  after(async () => op.stop());

  it("applies a CRD and its custom resources from one image", async () => {
    const group = `${unique("widgets").replace(/-/g, "")}.example.com`;
    const files = {
      "crd.yaml": `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.${group}\nspec:\n  group: ${group}\n  scope: Namespaced\n  names: {plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList}\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec: {type: object, properties: {size: {type: integer}}}\n`,
      "gadgets.yaml": `apiVersion: ${group}/v1\nkind: Gadget\nmetadata:\n  name: g1\n  namespace: ${opNs}\nspec:\n  size: 1\n---\napiVersion: ${group}/v1\nkind: Gadget\nmetadata:\n  name: g2\n  namespace: ${opNs}\nspec:\n  size: 2\n`,
    };
    const ref = `${op.env.registries.anonymous.host}/${unique("scale/crd")}:v1`;
    await pushWithCrane(ref, files);
    await createOciSync(op.admin, opNs, "crd-and-crs", {
      oci: { image: ref, dir: ".", period: "5s", plainHTTP: true },
    });
    const s = await waitReady(op.admin, opNs, "crd-and-crs", "True/Succeeded", 90_000);
    assert.ok(await objectExists(op.admin, `/apis/${group}/v1/namespaces/${opNs}/gadgets/g2`));
    assert.equal(s.status?.inventory?.filter((e) => e.kind === "Gadget").length, 2);
  });

  for (const count of [500, 2000]) {
    it(`syncs ${count} ConfigMaps from one image`, async () => {
      const ns = unique(`scale${count}`);
      await ensureNamespace(op.admin, ns);
      const ref = `${op.env.registries.anonymous.host}/${unique(`scale/cm${count}`)}:v1`;
      await pushWithCrane(ref, configMaps(ns, count));
      const started = Date.now();
      await createOciSync(op.admin, opNs, `cms-${count}`, {
        oci: { image: ref, dir: "cms", period: "15s", plainHTTP: true },
        timeout: "10m",
      });
      const s = await waitReady(op.admin, opNs, `cms-${count}`, "True/Succeeded", 300_000);
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(`# measured: OciSync first sync of ${count} ConfigMaps took ${seconds.toFixed(1)} s\n`);
      const listed = await op.admin.request<{ items: unknown[] }>(`/api/v1/namespaces/${ns}/configmaps`, {
        query: { labelSelector: "airlift.dev/owner-kind" },
      });
      assert.equal(listed.items.length, count);
      const inventoryCount = s.status?.inventory?.length ?? (s.status?.inventoryRef ? count : 0);
      assert.equal(inventoryCount, count);
    });
  }
});

describe("OciSync tenant sync", () => {
  const tenantNs = unique("tenant");
  const otherNs = unique("other");
  let tenantOp: TestOperator;

  before(async () => {
    // The operator's own namespace differs from the tenant's: the OciSync there is namespace-scoped.
    tenantOp = await startOperator(unique("ocis-op"), tenantNs);
    const admin = tenantOp.admin;
    await ensureNamespace(admin, otherNs);
    await admin.request(`/api/v1/namespaces/${tenantNs}/serviceaccounts`, {
      method: "POST",
      body: { metadata: { name: "airlift-sync" } },
    });
    // The tenant's ServiceAccount may manage ConfigMaps only: Secrets are out of its reach.
    await admin.request(`/apis/rbac.authorization.k8s.io/v1/namespaces/${tenantNs}/roles`, {
      method: "POST",
      body: {
        metadata: { name: "sync" },
        rules: [
          {
            apiGroups: [""],
            resources: ["configmaps"],
            verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
          },
        ],
      },
    });
    await admin.request(`/apis/rbac.authorization.k8s.io/v1/namespaces/${tenantNs}/rolebindings`, {
      method: "POST",
      body: {
        metadata: { name: "sync" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "sync" },
        subjects: [{ kind: "ServiceAccount", name: "airlift-sync", namespace: tenantNs }],
      },
    });
  });
  after(async () => tenantOp.stop());

  it("refuses cluster-scoped and foreign objects, names the missing permission, and applies the rest", async () => {
    const files = {
      "ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: allowed\ndata:\n  a: b\n",
      "cluster.yaml": `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${unique("escape")}\n`,
      "foreign.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: intruder\n  namespace: ${otherNs}\ndata:\n  a: b\n`,
      "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: not-mine\nstringData:\n  k: v\n",
    };
    const ref = `${tenantOp.env.registries.anonymous.host}/${unique("tenant/app")}:v1`;
    await pushWithCrane(ref, files);
    await createOciSync(tenantOp.admin, tenantNs, "app", {
      oci: { image: ref, dir: ".", period: "5s", plainHTTP: true },
    });
    const s = await waitFor(
      "tenant sync errors",
      async () => {
        const got = await getOciSync(tenantOp.admin, tenantNs, "app");
        return (got.status?.sync?.errors?.length ?? 0) >= 3 ? got : undefined;
      },
      90_000,
    );
    const text = JSON.stringify(s.status?.sync?.errors);
    assert.match(text, /Namespace/);
    assert.match(text, new RegExp(otherNs));
    assert.match(text, /secrets/);
    assert.ok(await objectExists(tenantOp.admin, `/api/v1/namespaces/${tenantNs}/configmaps/allowed`));
    assert.equal(await objectExists(tenantOp.admin, `/api/v1/namespaces/${otherNs}/configmaps/intruder`), false);
    assert.equal(await objectExists(tenantOp.admin, `/api/v1/namespaces/${tenantNs}/secrets/not-mine`), false);
    const ready = s.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.status, "False");
  });
  it("a source whose every object is refused for scope stalls with ScopeViolation, not ApplyFailed", async () => {
    const files = {
      "binding.yaml":
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: tenant-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects: []\n",
      "system.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tenant-intruder\n  namespace: kube-system\ndata:\n  a: b\n",
    };
    const ref = `${tenantOp.env.registries.anonymous.host}/${unique("tenant/scope")}:v1`;
    await pushWithCrane(ref, files);
    await createOciSync(tenantOp.admin, tenantNs, "scope", {
      oci: { image: ref, dir: ".", period: "5s", plainHTTP: true },
    });
    const s = await waitReady(tenantOp.admin, tenantNs, "scope", "False/ScopeViolation", 90_000);
    assert.ok(
      s.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True" && c.reason === "ScopeViolation"),
    );
    assert.deepEqual(
      s.status?.sync?.errors?.map((e) => e.code),
      ["ScopeViolation", "ScopeViolation"],
    );
  });
  it("crafted manifests get nowhere: a List smuggling foreign and cluster-scoped items, a RoleBinding to cluster-admin", async () => {
    const admin = tenantOp.admin;
    // A second ServiceAccount that may manage ConfigMaps and RoleBindings in the tenant namespace (not `bind` or `escalate`).
    await admin.request(`/api/v1/namespaces/${tenantNs}/serviceaccounts`, {
      method: "POST",
      body: { metadata: { name: "rbac-editor" } },
    });
    await admin.request(`/apis/rbac.authorization.k8s.io/v1/namespaces/${tenantNs}/roles`, {
      method: "POST",
      body: {
        metadata: { name: "rbac-editor" },
        rules: [
          {
            apiGroups: [""],
            resources: ["configmaps"],
            verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
          },
          {
            apiGroups: ["rbac.authorization.k8s.io"],
            resources: ["rolebindings"],
            verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
          },
        ],
      },
    });
    await admin.request(`/apis/rbac.authorization.k8s.io/v1/namespaces/${tenantNs}/rolebindings`, {
      method: "POST",
      body: {
        metadata: { name: "rbac-editor" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "rbac-editor" },
        subjects: [{ kind: "ServiceAccount", name: "rbac-editor", namespace: tenantNs }],
      },
    });
    const escape = `${tenantNs}-escape`;
    const list = {
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "listed-ok" }, data: { a: "b" } },
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "listed-intruder", namespace: otherNs },
          data: { a: "b" },
        },
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRoleBinding",
          metadata: { name: escape },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
          subjects: [{ kind: "ServiceAccount", name: "rbac-editor", namespace: tenantNs }],
        },
      ],
    };
    const grab = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "grab-admin" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "rbac-editor", namespace: tenantNs }],
    };
    const ref = `${tenantOp.env.registries.anonymous.host}/${unique("tenant/crafted")}:v1`;
    await pushWithCrane(ref, { "list.json": JSON.stringify(list), "grab.json": JSON.stringify(grab) });
    await createOciSync(admin, tenantNs, "crafted", {
      serviceAccountName: "rbac-editor",
      oci: { image: ref, period: "5s", plainHTTP: true },
    });
    const s = await waitFor(
      "crafted sync errors",
      async () => {
        const got = await getOciSync(admin, tenantNs, "crafted");
        return (got.status?.sync?.errors?.length ?? 0) >= 3 ? got : undefined;
      },
      90_000,
    );
    const errors = s.status?.sync?.errors ?? [];
    const text = JSON.stringify(errors);
    assert.match(text, new RegExp(`namespace ${otherNs}`));
    assert.match(text, /cluster-scoped/);
    // The API server's RBAC escalation check: binding cluster-admin needs its permissions (or `bind`).
    assert.match(text, /grab-admin[^"]*(escalat|not currently held|forbidden|Forbidden)/);
    assert.ok(await objectExists(admin, `/api/v1/namespaces/${tenantNs}/configmaps/listed-ok`));
    assert.equal(await objectExists(admin, `/api/v1/namespaces/${otherNs}/configmaps/listed-intruder`), false);
    assert.equal(await objectExists(admin, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${escape}`), false);
    assert.equal(
      await objectExists(admin, `/apis/rbac.authorization.k8s.io/v1/namespaces/${tenantNs}/rolebindings/grab-admin`),
      false,
    );
  });
});

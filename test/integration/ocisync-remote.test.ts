// spec.kubeConfig.secretRef (issue 16): an OciSync in the operator's cluster applies, health-checks and prunes in a
// SECOND cluster (its own kube-apiserver + etcd, started here) named by a kubeconfig Secret, keeping its inventory in
// its own status. The remote API server stopped for 20 s gives RemoteClusterUnavailable, retried with backoff, and
// the sync recovers once it is back (same port, same data). Kubeconfigs the operator must not use (an exec plugin)
// are refused with InvalidKubeConfig. Prints the first-apply, outage detection and recovery times.
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { startKube, type KubeEnv } from "../env/index.ts";
import {
  createOciSync,
  getOciSync,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const ns = unique("ocis-remote");
const appNs = unique("remote-apps");
const workDir = mkdtempSync(join(tmpdir(), "airlift-remote-kube-"));
const tenantNs = unique("ocis-remote-t");
let op: TestOperator;
let tenantOp: TestOperator;
let remote: KubeEnv;
let remoteAdmin: KubeClient;

const files = (names: string[]): Record<string, string> => ({
  "ns.yaml": `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${appNs}\n`,
  ...Object.fromEntries(
    names.map((n) => [
      `${n}.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\n  namespace: ${appNs}\ndata:\n  k: v\n`,
    ]),
  ),
});

async function createSecret(name: string, data: Record<string, string>, namespace = ns): Promise<void> {
  await op.admin.request(`/api/v1/namespaces/${namespace}/secrets`, {
    method: "POST",
    body: { metadata: { name }, stringData: data },
  });
}

const exists = async (client: KubeClient, path: string): Promise<boolean> =>
  client.request(path).then(
    () => true,
    (err: unknown) => {
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    },
  );

describe("OciSync into a remote cluster (spec.kubeConfig.secretRef)", () => {
  before(async () => {
    remote = await startKube(workDir);
    remoteAdmin = new KubeClient(remote.kubeConfig());
    op = await startOperator(ns, ns);
    tenantOp = await startOperator(`${tenantNs}-op`, tenantNs);
  });
  after(async () => {
    await op.stop();
    await tenantOp.stop();
    await remoteAdmin.close();
    await remote.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("applies and prunes in the remote cluster, inventory kept locally; survives a 20 s outage", async () => {
    await createSecret("remote-kubeconfig", { "value.yaml": readFileSync(remote.kubeconfigPath, "utf8") });
    const image = `${op.env.registries.anonymous.host}/${unique("remote")}/app:v1`;
    await pushWithCrane(image, files(["a", "b"]));
    const started = Date.now();
    await createOciSync(op.admin, ns, "remote", {
      oci: { image, period: "5s", plainHTTP: true },
      kubeConfig: { secretRef: { name: "remote-kubeconfig" } },
    });
    const ready = await waitReady(op.admin, ns, "remote", "True/Succeeded");
    const firstApplyMs = Date.now() - started;
    assert.ok(await exists(remoteAdmin, `/api/v1/namespaces/${appNs}/configmaps/a`));
    assert.ok(await exists(remoteAdmin, `/api/v1/namespaces/${appNs}/configmaps/b`));
    // Nothing in the operator's cluster; the inventory is the OciSync's status there.
    assert.equal(await exists(op.admin, `/api/v1/namespaces/${appNs}`), false);
    assert.deepEqual(ready.status?.inventory?.map((e) => `${e.kind}/${e.name}`).sort(), [
      "ConfigMap/a",
      "ConfigMap/b",
      `Namespace/${appNs}`,
    ]);

    // b leaves the source: pruned in the remote cluster.
    await pushWithCrane(image, files(["a"]));
    await waitFor("b pruned remotely", async () =>
      (await exists(remoteAdmin, `/api/v1/namespaces/${appNs}/configmaps/b`)) ? undefined : true,
    );
    assert.ok(await exists(remoteAdmin, `/api/v1/namespaces/${appNs}/configmaps/a`));
    await waitReady(op.admin, ns, "remote", "True/Succeeded");

    // The remote API server goes away for 20 s.
    await remote.stopApiServer();
    const down = Date.now();
    const unavailable = await waitReady(op.admin, ns, "remote", "False/RemoteClusterUnavailable", 30_000);
    const detectMs = Date.now() - down;
    const message = unavailable.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "";
    assert.match(
      message,
      new RegExp(`Secret ${ns}/remote-kubeconfig is unavailable: cannot reach https://127\\.0\\.0\\.1:`),
    );
    assert.equal(unavailable.status?.source?.errors?.length ?? 0, 0, "the source stage is not blamed");
    await sleep(Math.max(0, 20_000 - (Date.now() - down)));
    // Still unavailable after 20 s (retried with backoff meanwhile).
    assert.equal(
      (await getOciSync(op.admin, ns, "remote")).status?.conditions?.find((c) => c.type === "Ready")?.reason,
      "RemoteClusterUnavailable",
    );
    const restart = Date.now();
    await remote.startApiServer();
    const up = Date.now();
    await waitReady(op.admin, ns, "remote", "True/Succeeded", 90_000);
    const recoverMs = Date.now() - restart;
    // A change made during the outage is applied after it.
    await pushWithCrane(image, files(["a", "c"]));
    await waitFor("c applied remotely after the outage", async () =>
      (await exists(remoteAdmin, `/api/v1/namespaces/${appNs}/configmaps/c`)) ? true : undefined,
    );
    // Deleted with deletionPolicy Delete: its objects go from the remote cluster.
    await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/remote`, {
      method: "PATCH",
      patchType: "merge",
      body: { spec: { deletionPolicy: "Delete" } },
    });
    await waitFor("deletionPolicy Delete observed", async () => {
      const s = await getOciSync(op.admin, ns, "remote");
      return s.status?.observedGeneration === s.metadata.generation ? s : undefined;
    });
    await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/remote`, { method: "DELETE" });
    await waitFor("a and c deleted remotely", async () => {
      const left = await Promise.all(
        ["a", "c"].map((n) => exists(remoteAdmin, `/api/v1/namespaces/${appNs}/configmaps/${n}`)),
      );
      return left.some(Boolean) ? undefined : true;
    });
    console.log(
      `remote figures: first apply ${firstApplyMs} ms, outage detected after ${detectMs} ms, Ready ${recoverMs} ms after the restart began (the API server answered /readyz after ${up - restart} ms)`,
    );
  });

  it("refuses a kubeconfig with an exec plugin (InvalidKubeConfig), and a Secret without the key", async () => {
    const kc = JSON.parse(readFileSync(remote.kubeconfigPath, "utf8")) as {
      users: { user: Record<string, unknown> }[];
    };
    for (const u of kc.users) u.user = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/bin/sh" } };
    await createSecret("exec-kubeconfig", { value: JSON.stringify(kc) });
    await createSecret("no-key", { other: "x" });
    const image = `${op.env.registries.anonymous.host}/${unique("remote-bad")}/app:v1`;
    await pushWithCrane(image, files(["bad"]));
    await createOciSync(op.admin, ns, "exec", {
      oci: { image, period: "5s", plainHTTP: true },
      kubeConfig: { secretRef: { name: "exec-kubeconfig" } },
    });
    await createOciSync(op.admin, ns, "nokey", {
      oci: { image, period: "5s", plainHTTP: true },
      kubeConfig: { secretRef: { name: "no-key" } },
    });
    const exec = await waitReady(op.admin, ns, "exec", "False/InvalidKubeConfig");
    assert.match(exec.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /exec credential plugin/);
    const nokey = await waitReady(op.admin, ns, "nokey", "False/InvalidKubeConfig");
    assert.match(
      nokey.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "",
      /has no key value or value\.yaml \(keys: other\)/,
    );
    assert.equal(await exists(remoteAdmin, `/api/v1/namespaces/${appNs}/configmaps/bad`), false);
  });

  it("a tenant sync impersonates its ServiceAccount in the remote cluster and stays in its namespace", async () => {
    // In the remote cluster: the tenant's namespace, its ServiceAccount, and a Role for ConfigMaps only.
    const apply = (path: string, body: Record<string, unknown>): Promise<unknown> =>
      remoteAdmin.request(path, { method: "POST", body });
    await apply("/api/v1/namespaces", { metadata: { name: tenantNs } });
    await apply(`/api/v1/namespaces/${tenantNs}/serviceaccounts`, { metadata: { name: "airlift-sync" } });
    await apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${tenantNs}/roles`, {
      metadata: { name: "configmaps" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }],
    });
    await apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${tenantNs}/rolebindings`, {
      metadata: { name: "airlift-sync" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmaps" },
      subjects: [{ kind: "ServiceAccount", name: "airlift-sync", namespace: tenantNs }],
    });
    await createSecret("remote", { value: readFileSync(remote.kubeconfigPath, "utf8") }, tenantNs);
    const image = `${op.env.registries.anonymous.host}/${unique("remote-t")}/app:v1`;
    await pushWithCrane(image, {
      "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t1\n",
      "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s1\nstringData:\n  k: v\n",
      "other.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t2\n  namespace: ${appNs}\n`,
    });
    await createOciSync(tenantOp.admin, tenantNs, "tenant", {
      oci: { image, period: "5s", plainHTTP: true },
      kubeConfig: { secretRef: { name: "remote", key: "value" } },
    });
    const s = await waitFor("the tenant's errors", async () => {
      const sync = await getOciSync(tenantOp.admin, tenantNs, "tenant");
      const codes = new Set(sync.status?.sync?.errors?.map((e) => e.code));
      return codes.has("Forbidden") && codes.has("ScopeViolation") ? sync : undefined;
    });
    assert.equal(s.status?.conditions?.find((c) => c.type === "Ready")?.status, "False");
    // The ConfigMap its Role allows is there; the Secret (the admin kubeconfig could write it, the tenant's
    // ServiceAccount may not) and the object for another namespace are not.
    assert.ok(await exists(remoteAdmin, `/api/v1/namespaces/${tenantNs}/configmaps/t1`));
    assert.equal(await exists(remoteAdmin, `/api/v1/namespaces/${tenantNs}/secrets/s1`), false);
    assert.equal(await exists(remoteAdmin, `/api/v1/namespaces/${appNs}/configmaps/t2`), false);
    assert.equal(await exists(op.admin, `/api/v1/namespaces/${tenantNs}/configmaps/t1`), false);
  });
});

// Validate-then-apply for objects in a Namespace the revision itself creates, on a real API server. A dry-run into a
// Namespace that does not exist yet is answered 404 by the server's NamespaceLifecycle admission before it judges
// the object, so the revision's Namespaces are validated and applied first (as its CRDs are); the rest is then
// dry-run inside them, and one refused object stops all of it. The Namespace stays, recorded in the inventory.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { syncDirectory, type SyncOwner } from "../../src/sync/index.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";
import { objectExists } from "./kube-support.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "airlift-sync-ns-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) writeFileSync(join(root, path), text);
  return root;
}

const configMap = (ns: string, name: string, labels: Record<string, string> = {}): string =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels }, data: { a: "1" } });

describe("validate-then-apply inside a Namespace of the same revision", () => {
  it("an object the server refuses in a new Namespace stops the revision: only the Namespace is applied", async () => {
    const env = await testEnv();
    const kubeConfig = loadKubeConfig(env.kube.kubeconfigPath);
    const admin = new KubeClient(kubeConfig);
    const s = randomBytes(3).toString("hex");
    const ns = `valns-${s}`;
    const owner: SyncOwner = { kind: "OciSync", namespace: "airlift-system", name: `valns-${s}` };
    const root = writeTree({
      "ns.json": JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
      "a.json": configMap(ns, "a"),
      "b.json": configMap(ns, "b", { broken: "not a valid label value!" }),
      "c.json": configMap(ns, "c"),
    });
    const base = { root, owner, kubeConfig, scope: { kind: "cluster" as const }, prune: true };
    const out = await syncDirectory({ ...base, sourceDigest: "sha256:" + "a".repeat(64), previousInventory: [] });
    assert.equal(out.loaded, false);
    assert.deepEqual(
      out.errors.map((e) => e.code),
      ["ValidationFailed"],
    );
    assert.match(out.errors[0]?.message ?? "", new RegExp(`ConfigMap ${ns}/b: 422 Invalid`));
    assert.deepEqual(
      out.inventory.map((e) => `${e.kind}/${e.name}`),
      [`Namespace/${ns}`],
      "the Namespace applied first is recorded, nothing else",
    );
    assert.equal(await objectExists(admin, `/api/v1/namespaces/${ns}`), true);
    for (const name of ["a", "b", "c"])
      assert.equal(
        await objectExists(admin, `/api/v1/namespaces/${ns}/configmaps/${name}`),
        false,
        `${name} not applied`,
      );

    // Fixed: the next revision applies everything, the Namespace it already owns included.
    writeFileSync(join(root, "b.json"), configMap(ns, "b"));
    const fixed = await syncDirectory({
      ...base,
      sourceDigest: "sha256:" + "b".repeat(64),
      previousInventory: out.inventory,
    });
    assert.deepEqual(fixed.errors, []);
    assert.deepEqual(
      fixed.results.map((r) => `${r.identity.kind}/${r.identity.name}:${r.action}`).sort(),
      [`ConfigMap/a:created`, `ConfigMap/b:created`, `ConfigMap/c:created`, `Namespace/${ns}:configured`].sort(),
    );
    await admin.request(`/api/v1/namespaces/${ns}`, { method: "DELETE" });
    await admin.close();
  });
});

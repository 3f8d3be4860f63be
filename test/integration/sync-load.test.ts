// A source that fails to load changes nothing in the cluster: no apply, no prune, the inventory kept.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { syncDirectory, type SyncDirectoryOptions, type SyncOwner } from "../../src/sync/index.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";
import { objectExists } from "./kube-support.ts";

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "airlift-load-"));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(root, path), text);
  return root;
}

const cm = (ns: string, name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n  k: v\n`;

describe("sync: a source that fails to load", () => {
  it("reports the file and line of invalid YAML, refuses a YAML bomb and a 10 MB document, and touches nothing", async () => {
    const env = await testEnv();
    const kubeConfig = loadKubeConfig(env.kube.kubeconfigPath);
    const admin = new KubeClient(kubeConfig);
    const ns = `load-${randomBytes(3).toString("hex")}`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const owner: SyncOwner = { kind: "OciSync", namespace: ns, name: "apps" };
    const base: Omit<SyncDirectoryOptions, "root" | "previousInventory"> = {
      scope: { kind: "cluster" },
      owner,
      sourceDigest: "sha256:" + "c".repeat(64),
      kubeConfig,
      prune: true,
    };
    const good = await syncDirectory({
      ...base,
      root: writeTree({ "old.yaml": cm(ns, "old") }),
      previousInventory: [],
    });
    assert.deepEqual(good.errors, []);

    const invalid = writeTree({
      "a-new.yaml": cm(ns, "new"),
      "bad.yaml": `${cm(ns, "x")}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "unterminated\n`,
    });
    const bomb = writeTree({
      "bomb.yaml": [
        "apiVersion: v1",
        "kind: ConfigMap",
        `metadata: {name: lol, namespace: ${ns}}`,
        "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]",
        ...["b", "c", "d", "e", "f", "g", "h"].map(
          (k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefg"[i]}`).join(",")}]`,
        ),
      ].join("\n"),
    });
    const huge = writeTree({ "huge.yaml": `${cm(ns, "huge")}  blob: "${"x".repeat(10 * 1024 * 1024)}"\n` });
    for (const [root, code, message] of [
      [invalid, "InvalidYAML", /^failed to parse bad\.yaml:\d+:\d+: /],
      [bomb, "SizeLimitExceeded", /bomb\.yaml.*(alias|resource exhaustion)/i],
      [huge, "SizeLimitExceeded", /huge\.yaml: file exceeds the cap of \d+ bytes/],
    ] as const) {
      const out = await syncDirectory({ ...base, root, previousInventory: good.inventory });
      assert.equal(out.loaded, false);
      assert.equal(out.errors.length, 1);
      assert.equal(out.errors[0]?.code, code);
      assert.match(out.errors[0].message, message);
      assert.deepEqual(out.results, []);
      assert.deepEqual(out.pruned, []);
      assert.deepEqual(out.inventory, good.inventory);
    }
    assert.equal(
      await objectExists(admin, `/api/v1/namespaces/${ns}/configmaps/old`),
      true,
      "nothing pruned after a failed load",
    );
    assert.equal(
      await objectExists(admin, `/api/v1/namespaces/${ns}/configmaps/new`),
      false,
      "nothing applied from a partial load",
    );
    await admin.close();
  });
});

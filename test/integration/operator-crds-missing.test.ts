// An operator started against a cluster without airlift's CustomResourceDefinitions says which kinds are missing
// and how to install them, and exits 1 (instead of starting informers that fail with 404s forever).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { missingResources } from "../../src/kube/discovery.ts";
import { IMAGE_IMPORT, OCI_SYNC } from "../../src/api/group-version.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { airliftArgs, loadKubeConfig, startKube, testEnv } from "../env/index.ts";
import type { KubeEnv } from "../env/kube.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";

let bare: KubeEnv;

before(async () => {
  bare = await startKube(mkdtempSync(join(tmpdir(), "airlift-nocrds-")));
});

after(async () => {
  await bare.stop();
});

describe("operator without its CRDs", () => {
  it("logs the missing kinds with the way to install them and exits 1", async () => {
    const operator = spawn(
      ...airliftArgs([
        "operator",
        "--kubeconfig",
        bare.kubeconfigPath,
        "--namespace",
        "default",
        "--metrics-addr",
        "0",
        "--health-addr",
        "0",
      ]),
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    operator.stdout.on("data", (c: Buffer) => (out += c.toString()));
    operator.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => operator.once("exit", resolve));
    assert.equal(code, 1, out);
    const line = out.split("\n").find((l) => l.includes("CustomResourceDefinitions"));
    assert.ok(line, out);
    const entry = JSON.parse(line) as { level: number; missing: string[]; msg: string };
    assert.deepEqual(entry.missing, [
      "imageimports.airlift.dev/v1alpha1",
      "artifactpulls.airlift.dev/v1alpha1",
      "ocisyncs.airlift.dev/v1alpha1",
    ]);
    assert.match(entry.msg, /kubectl apply -f crds\//);
  });

  it("finds nothing missing once the CRDs are served, and names a resource a served group lacks", async () => {
    const env = await testEnv();
    await installCrds(kubeClient(env));
    const client = new KubeClient(bare.kubeConfig());
    const shared = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
    try {
      assert.deepEqual(await missingResources(shared, [IMAGE_IMPORT, OCI_SYNC]), []);
      const ghost = { ...OCI_SYNC, plural: "ghosts" };
      assert.deepEqual(
        (await missingResources(shared, [IMAGE_IMPORT, ghost])).map((r) => r.plural),
        ["ghosts"],
      );
      assert.deepEqual(
        (await missingResources(client, [OCI_SYNC])).map((r) => r.plural),
        ["ocisyncs"],
      );
    } finally {
      await client.close();
      await shared.close();
    }
  });
});

// `npm run bench:kustomize`: rendering must not dominate a sync. For a 2,000-object overlay (a base of ConfigMaps, an
// overlay with namePrefix, namespace, commonLabels and a strategic-merge patch), times the real `kustomize build`
// alone and airlift's whole first sync of the same folder (the bounded kustomize child, load, scope, staged
// server-side apply of every object, inventory) against a real kube-apiserver, and prints the ratio.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syncDirectory } from "../src/sync/index.ts";
import { KubeClient } from "../src/kube/rest-client.ts";
import { loadKubeConfig, startKube, toolPath } from "../test/env/index.ts";

const count = Number(process.env.BENCH_KUSTOMIZE_OBJECTS ?? 2000);
const ns = "bench-kustomize";

/** Writes base/ (count ConfigMaps) and overlay/ (prefix, namespace, labels, one patch); returns the root. */
function writeRepo(): string {
  const root = mkdtempSync(join(tmpdir(), "airlift-bench-kust-"));
  mkdirSync(join(root, "base"));
  mkdirSync(join(root, "overlay"));
  const docs = Array.from(
    { length: count },
    (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  index: "${i}"\n  size: m\n`,
  );
  writeFileSync(join(root, "base/objects.yaml"), docs.join("---\n"));
  writeFileSync(join(root, "base/kustomization.yaml"), "resources:\n  - objects.yaml\n");
  writeFileSync(
    join(root, "overlay/kustomization.yaml"),
    `namePrefix: site-\nnamespace: ${ns}\nlabels:\n  - pairs:\n      site: one\nresources:\n  - ../base\npatches:\n  - path: patch.yaml\n`,
  );
  writeFileSync(
    join(root, "overlay/patch.yaml"),
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-0\ndata:\n  size: xl\n",
  );
  return root;
}

/** Median wall time of three `kustomize build overlay` runs, in seconds. */
function timeBuild(kustomize: string, root: string): number {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const built = spawnSync(kustomize, ["build", join(root, "overlay")], { maxBuffer: 1 << 30 });
    if (built.status !== 0) throw new Error(built.stderr.toString());
    times.push((performance.now() - t) / 1000);
  }
  return times.sort((a, b) => a - b)[1] ?? NaN;
}

async function main(): Promise<void> {
  const root = writeRepo();
  const kustomize = toolPath("kustomize");
  const buildSeconds = timeBuild(kustomize, root);
  const kube = await startKube(mkdtempSync(join(tmpdir(), "airlift-bench-kust-kube-")));
  const kubeConfig = loadKubeConfig(kube.kubeconfigPath);
  const admin = new KubeClient(kubeConfig);
  try {
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const t = performance.now();
    const result = await syncDirectory({
      root,
      dir: "overlay",
      render: { mode: "auto", kustomize },
      scope: { kind: "cluster" },
      owner: { kind: "OciSync", namespace: "bench", name: "kustomize" },
      sourceDigest: `sha256:${"0".repeat(64)}`,
      kubeConfig,
      previousInventory: [],
      prune: true,
    });
    const syncSeconds = (performance.now() - t) / 1000;
    if (!result.loaded || result.errors.length > 0 || result.inventory.length !== count)
      throw new Error(`sync failed: ${result.errors[0]?.message ?? `${result.inventory.length} objects`}`);
    const afterSeconds = timeBuild(kustomize, root);
    console.log(`objects                          ${count}`);
    console.log(
      `kustomize build (alone, median of 3 before / after) ${buildSeconds.toFixed(2)} / ${afterSeconds.toFixed(2)} s`,
    );
    console.log(`airlift first sync (render+apply) ${syncSeconds.toFixed(2)} s`);
    console.log(
      `kustomize build / first sync      ${((Math.min(buildSeconds, afterSeconds) / syncSeconds) * 100).toFixed(1)} %`,
    );
  } finally {
    await admin.close();
    await kube.stop();
  }
}

await main();

// `npm run bench:vet-diff`: what `airlift vet` and `airlift diff` cost on a 2,000-object overlay (half ConfigMaps,
// half Deployments; namePrefix, namespace, labels) against a real kube-apiserver, each beside a peer measured in the
// same run: vet (render, load, scope, schema check offline from an exported file) beside the `kustomize build` it
// wraps; diff of the synced overlay (render, a GET and a server-side dry-run apply per object) beside
// `kubectl diff --server-side` of kustomize's output. Every airlift figure is the CLI as users run it, process start
// included; medians of three (BENCH_VET_RUNS).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syncDirectory } from "../src/sync/index.ts";
import { KubeClient } from "../src/kube/rest-client.ts";
import {
  airliftArgs,
  cacheBin,
  loadKubeConfig,
  repoRoot,
  startKube,
  toolPath,
  toolsPathEnv,
} from "../test/env/index.ts";

const count = Number(process.env.BENCH_VET_OBJECTS ?? 2000);
const runs = Number(process.env.BENCH_VET_RUNS ?? 3);
const ns = "bench-vetdiff";

function deployment(i: number): string {
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-${i}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web-${i}}\n  template:\n    metadata:\n      labels: {app: web-${i}}\n    spec:\n      containers:\n        - name: web\n          image: registry.example/web:1.${i}\n          ports: [{containerPort: 8080}]\n          resources: {requests: {cpu: 10m, memory: 16Mi}}\n`;
}

/** base/ (count/2 ConfigMaps, count/2 Deployments) and overlay/; returns the root. */
function writeRepo(): string {
  const root = mkdtempSync(join(tmpdir(), "airlift-bench-vet-"));
  mkdirSync(join(root, "base"));
  mkdirSync(join(root, "overlay"));
  const half = Math.floor(count / 2);
  const cms = Array.from(
    { length: count - half },
    (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  index: "${i}"\n`,
  );
  writeFileSync(join(root, "base/configmaps.yaml"), cms.join("---\n"));
  writeFileSync(
    join(root, "base/deployments.yaml"),
    Array.from({ length: half }, (_, i) => deployment(i)).join("---\n"),
  );
  writeFileSync(join(root, "base/kustomization.yaml"), "resources:\n  - configmaps.yaml\n  - deployments.yaml\n");
  writeFileSync(
    join(root, "overlay/kustomization.yaml"),
    `namePrefix: site-\nnamespace: ${ns}\nlabels:\n  - pairs:\n      site: one\nresources:\n  - ../base\n`,
  );
  return root;
}

/** Median wall time of three runs of a command, in seconds; `ok` lists the exit codes it may end with. */
function median(cmd: string, args: string[], ok: readonly number[] = [0]): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(cmd, args, {
      cwd: repoRoot,
      maxBuffer: 1 << 30,
      env: { ...process.env, PATH: toolsPathEnv() },
    });
    if (!ok.includes(r.status ?? -1))
      throw new Error(
        `${cmd} ${args.join(" ")}: exit ${r.status}\n${r.stderr.toString()}${r.stdout.toString().slice(0, 2000)}`,
      );
    times.push((performance.now() - t) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? NaN;
}

function airlift(args: string[], ok: readonly number[] = [0]): number {
  const [cmd, argv] = airliftArgs(args);
  return median(cmd, argv, ok);
}

async function main(): Promise<void> {
  const root = writeRepo();
  const kustomize = toolPath("kustomize");
  const kubectl = join(cacheBin, "kubectl");
  const kubeDir = mkdtempSync(join(tmpdir(), "airlift-bench-vet-kube-"));
  const kube = await startKube(kubeDir);
  const kc = ["--kubeconfig", kube.kubeconfigPath];
  const admin = new KubeClient(loadKubeConfig(kube.kubeconfigPath));
  try {
    const rendered = join(root, "rendered.yaml");
    writeFileSync(rendered, spawnSync(kustomize, ["build", join(root, "overlay")], { maxBuffer: 1 << 30 }).stdout);
    spawnSync(kubectl, [...kc, "apply", "-f", join(repoRoot, "crds/airlift.dev_ocisyncs.yaml")]);
    spawnSync(kubectl, [...kc, "wait", "--for", "condition=Established", "crd/ocisyncs.airlift.dev"]);
    spawnSync(kubectl, [...kc, "create", "namespace", ns]);
    const sync = {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "OciSync",
      metadata: { name: "bench", namespace: ns },
      spec: { oci: { image: "registry.example/bench:1", dir: "overlay" } },
    };
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs`, { method: "POST", body: sync });
    const schemas = join(root, "schemas.json");
    const exportSeconds = airlift(["vet", "--export-schemas", schemas, ...kc]);

    const buildSeconds = median(kustomize, ["build", join(root, "overlay")]);
    console.log(`kustomize build (peer)                    ${buildSeconds.toFixed(2)} s`);
    // The operator's 60 s render bound is lifted: on a loaded machine kustomize alone can take longer.
    const vetSeconds = airlift(["vet", root, "--dir", "overlay", "--schemas", schemas, "--kustomize-timeout", "30m"]);

    const applied = await syncDirectory({
      root,
      dir: "overlay",
      render: { mode: "auto", kustomize, limits: { timeoutMs: 30 * 60_000 } },
      scope: { kind: "cluster" },
      owner: { kind: "OciSync", namespace: ns, name: "bench" },
      sourceDigest: `sha256:${"0".repeat(64)}`,
      kubeConfig: loadKubeConfig(kube.kubeconfigPath),
      previousInventory: [],
      prune: false,
    });
    if (applied.errors.length > 0) throw new Error(`sync failed: ${applied.errors[0]?.message}`);
    const diffArgs = [
      "diff",
      "bench",
      "-n",
      ns,
      "--operator-namespace",
      ns,
      "--image",
      root,
      "--kustomize-timeout",
      "30m",
      ...kc,
    ];
    const diffSeconds = airlift(diffArgs);
    const kubectlSeconds = median(
      kubectl,
      [...kc, "diff", "--server-side", "--field-manager", "airlift", "--force-conflicts", "-f", rendered],
      [0, 1],
    );

    console.log(
      `objects                                   ${count} (${count - Math.floor(count / 2)} ConfigMaps, ${Math.floor(count / 2)} Deployments)`,
    );
    console.log(`airlift vet --export-schemas              ${exportSeconds.toFixed(2)} s`);
    console.log(
      `airlift vet --schemas (offline)           ${vetSeconds.toFixed(2)} s  (${(vetSeconds / buildSeconds).toFixed(2)}x kustomize build)`,
    );
    console.log(`kubectl diff --server-side (peer)         ${kubectlSeconds.toFixed(2)} s`);
    console.log(
      `airlift diff (synced, nothing to change)  ${diffSeconds.toFixed(2)} s  (${(diffSeconds / kubectlSeconds).toFixed(2)}x kubectl diff of the rendered file, ${(diffSeconds / (buildSeconds + kubectlSeconds)).toFixed(2)}x kustomize build + kubectl diff)`,
    );
  } finally {
    await admin.close();
    await kube.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(kubeDir, { recursive: true, force: true });
  }
}

await main();

// `airlift convert` (issue 16) as users run it: the RootSync of the second seed
// (test/fixtures/convert/seed-003-rootsync.yaml, copied verbatim from /work/shared/seeds/003_0630fda463b45d4f.txt)
// with its placeholders filled in as the runbook says, converted by the real CLI, applied with the real kubectl,
// and synced by the OciSync controller from an image in the test registry; also several documents in one file
// (what maps, what is reported), stdin, and a file with nothing to convert (exit 1).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { repoRoot, run } from "../env/index.ts";
import { airlift } from "./cli-support.ts";
import { getOciSync, pushWithCrane, startOperator, unique, waitReady, type TestOperator } from "./ocisync-support.ts";

const ns = unique("cli-convert");
const seed = readFileSync(join(repoRoot, "test/fixtures/convert/seed-003-rootsync.yaml"), "utf8");
let op: TestOperator;
let dir: string;

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const docs = (yaml: string): Record<string, unknown>[] =>
  parseAllDocuments(yaml).map((d) => (Array.isArray(d) ? {} : (d.toJS() as Record<string, unknown>)));

const MULTI = `apiVersion: configsync.gke.io/v1beta1
kind: RepoSync
metadata:
  name: team-a
  namespace: team-a
  annotations:
    configsync.gke.io/deletion-propagation-policy: Foreground
spec:
  sourceFormat: unstructured
  sourceType: oci
  oci:
    image: harbor.example.com/team-a/config:v3
    dir: overlays/prod
    period: 1m0s
    auth: none
    caCertSecretRef: { name: harbor-ca }
  override:
    reconcileTimeout: 10m
    logLevels: [{ containerName: reconciler, logLevel: 5 }]
---
apiVersion: configsync.gke.io/v1beta1
kind: RootSync
metadata: { name: platform, namespace: config-management-system }
spec:
  sourceFormat: hierarchy
  sourceType: oci
  oci: { image: harbor.example.com/platform/config:v1, auth: gcenode }
---
apiVersion: configsync.gke.io/v1beta1
kind: RootSync
metadata: { name: from-git, namespace: config-management-system }
spec:
  sourceType: git
  git: { repo: https://github.com/example/config, branch: main, dir: clusters/a, auth: none }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: unrelated, namespace: default }
`;

describe("airlift convert", () => {
  before(async () => {
    op = await startOperator(ns, ns);
    dir = mkdtempSync(join(tmpdir(), "airlift-convert-"));
  });
  after(async () => {
    await op.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("converts the seed's RootSync, and the converted object syncs", async (t) => {
    const image = `${op.env.registries.anonymous.host}/${unique("config/ar")}/test-namespace:v1`;
    const target = `${ns}-test`;
    const digest = await pushWithCrane(image, {
      "namespace.yaml": `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${target}\n`,
    });
    // The runbook's placeholders, replaced as it tells the user to.
    const filled = seed
      .replaceAll("ROOT_SYNC_NAME", "root-sync-test")
      .replaceAll("AR_REGION-docker.pkg.dev/PROJECT_ID/AR_REPO_NAME/test-namespace:v1", image);
    const started = Date.now();
    const res = airlift(["convert", write("root-sync-test.yaml", filled), "--namespace", ns], {});
    const convertMs = Date.now() - started;
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stderr,
      /warning: RootSync config-management-system\/root-sync-test: spec\.oci\.auth: k8sserviceaccount not carried/,
    );
    assert.match(res.stdout, /^# not carried: spec\.oci\.auth: k8sserviceaccount \(/m);
    const [converted] = docs(res.stdout);
    assert.deepEqual(converted, {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "OciSync",
      metadata: { name: "root-sync-test", namespace: ns },
      spec: { sourceFormat: "unstructured", oci: { image, dir: "." } },
    });
    // The test registry speaks plain HTTP on loopback; a real registry needs nothing added.
    const applied = { ...converted, spec: { sourceFormat: "unstructured", oci: { image, dir: ".", plainHTTP: true } } };
    const file = write("converted.json", JSON.stringify(applied));
    const applyStart = Date.now();
    await run("kubectl", ["--kubeconfig", op.env.kube.kubeconfigPath, "apply", "-f", file]);
    await waitReady(op.admin, ns, "root-sync-test", "True/Succeeded");
    const syncMs = Date.now() - applyStart;
    t.diagnostic(`convert ${convertMs} ms; kubectl apply to Ready ${syncMs} ms`);
    assert.equal((await getOciSync(op.admin, ns, "root-sync-test")).status?.sync?.digest, digest);
    await op.admin.request(`/api/v1/namespaces/${target}`);
  });

  it("converts several documents: maps what it can, reports the rest as comments and warnings", () => {
    const res = airlift(["convert", write("multi.yaml", MULTI)], {});
    assert.equal(res.code, 0, res.stderr);
    const [repo, root, ...rest] = docs(res.stdout);
    assert.equal(rest.length, 0, "git RootSync and ConfigMap produce no object");
    assert.deepEqual(repo, {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "OciSync",
      metadata: {
        name: "team-a",
        namespace: "team-a",
        annotations: { "configsync.gke.io/deletion-propagation-policy": "Foreground" },
      },
      spec: {
        sourceFormat: "unstructured",
        oci: {
          image: "harbor.example.com/team-a/config:v3",
          dir: "overlays/prod",
          period: "1m0s",
          auth: "none",
          caCertSecretRef: { name: "harbor-ca", key: "cert" },
        },
        timeout: "10m",
      },
    });
    assert.equal((root?.metadata as { namespace: string }).namespace, "airlift-system");
    for (const line of [
      /^# not carried: spec\.override\.logLevels\[0\]\.logLevel: 5 /m,
      /^# not carried: spec\.sourceFormat: hierarchy \(airlift reads unstructured sources only/m,
      /^# not carried: spec\.oci\.auth: gcenode /m,
    ])
      assert.match(res.stdout, line);
    for (const line of [
      /RootSync config-management-system\/from-git: spec\.sourceType: git not carried: only sourceType oci converts/,
      /ConfigMap default\/unrelated: kind: ConfigMap not carried: not a Config Sync RootSync or RepoSync/,
      /RootSync config-management-system\/platform: spec\.oci\.auth: gcenode not carried/,
    ])
      assert.match(res.stderr, line);
  });

  it("reads stdin, and exits 1 when nothing converts", () => {
    const git = MULTI.split("---\n")[2] ?? "";
    const res = spawnSync(process.execPath, [join(repoRoot, "src/cli/main.ts"), "convert", "-"], {
      input: git,
      encoding: "utf8",
      cwd: repoRoot,
      env: { PATH: process.env.PATH },
    });
    assert.equal(res.status, 1, res.stderr);
    assert.equal(res.stdout, "");
    assert.match(res.stderr, /spec\.sourceType: git not carried/);
    assert.match(res.stderr, /nothing in - could be converted/);
    const fromStdin = spawnSync(process.execPath, [join(repoRoot, "src/cli/main.ts"), "convert", "-"], {
      input: MULTI,
      encoding: "utf8",
      cwd: repoRoot,
      env: { PATH: process.env.PATH },
    });
    assert.equal(fromStdin.status, 0, fromStdin.stderr);
    assert.equal(docs(fromStdin.stdout).length, 2);
  });
});

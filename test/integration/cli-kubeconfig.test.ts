// `airlift status` (and `operator`) reach the cluster the way kubectl does: `$HOME/.kube/config` with KUBECONFIG
// unset, a KUBECONFIG list of two files (contexts in one, clusters and users in the other, the first file winning),
// `--context`, `--kubeconfig`, `-n` defaulting to the context's namespace, `-A`; and `status` prints a sorted
// nomos-style table, `--json`, `--name` and `--poll`. Real command, real API server, objects with real status.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { testEnv, type EnvironmentConnection } from "../env/index.ts";
import { createNamespace, installCrds, kubeClient, type Kube } from "./api-kube-support.ts";
import {
  adminUser,
  airlift,
  context,
  homeWithKubeconfig,
  lines,
  startAirlift,
  testCluster,
  writeKubeconfig,
} from "./cli-support.ts";
import { unique } from "./ocisync-support.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-cli-kubeconfig-"));
const nsA = unique("cli-kc-a");
const nsB = unique("cli-kc-b");
const D1 = `sha256:${"1a2b3c4d".repeat(8)}`;
const D2 = `sha256:${"9e8f".repeat(16)}`;
const NOW = new Date().toISOString().replace(/\.\d+Z$/, "Z");
let env: EnvironmentConnection;
let kube: Kube;

const cond = (status: string, reason: string, message: string): Record<string, unknown> => ({
  type: "Ready",
  status,
  reason,
  message,
  lastTransitionTime: NOW,
  observedGeneration: 1,
});

/** Creates an airlift object and sets its status, as the operator would have. */
async function create(o: {
  kind: string;
  plural: string;
  namespace: string;
  name: string;
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}): Promise<void> {
  const { kind, plural, namespace, name, spec, status } = o;
  await kube.apply({ apiVersion: "airlift.dev/v1alpha1", kind, metadata: { name, namespace }, spec });
  const path = `/apis/airlift.dev/v1alpha1/namespaces/${namespace}/${plural}/${name}/status`;
  const answer = await kube.call("PATCH", path, { body: { status }, contentType: "application/merge-patch+json" });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
}

const ociSpec = (image: string): Record<string, unknown> => ({ oci: { image, plainHTTP: true } });

before(async () => {
  env = await testEnv();
  kube = kubeClient(env);
  await installCrds(kube);
  await createNamespace(kube, nsA);
  await createNamespace(kube, nsB);
  await create({
    kind: "OciSync",
    plural: "ocisyncs",
    namespace: nsA,
    name: "zeta",
    spec: ociSpec("127.0.0.1:1/config/zeta:v1"),
    status: {
      observedGeneration: 1,
      conditions: [cond("True", "Succeeded", "applied 3 objects")],
      source: { image: "127.0.0.1:1/config/zeta:v1", digest: D1, lastUpdate: NOW },
      sync: { digest: D1, lastUpdate: "2026-01-02T03:04:05Z" },
      inventory: [
        { group: "apps", version: "v1", kind: "Deployment", namespace: "web", name: "web", status: "Current" },
        { group: "", version: "v1", kind: "Namespace", name: "web", status: "Current" },
        { group: "", version: "v1", kind: "ConfigMap", namespace: "web", name: "settings", status: "Current" },
      ],
    },
  });
  await create({
    kind: "OciSync",
    plural: "ocisyncs",
    namespace: nsA,
    name: "alpha",
    spec: ociSpec("127.0.0.1:1/config/alpha:v1"),
    status: {
      observedGeneration: 1,
      conditions: [cond("False", "ApplyFailed", "1 object failed to apply")],
      source: { image: "127.0.0.1:1/config/alpha:v1", digest: D2, lastUpdate: NOW },
      sync: {
        digest: D2,
        lastUpdate: NOW,
        errors: [{ code: "ApplyFailed", message: "deployment.apps/api: forbidden" }],
      },
    },
  });
  await create({
    kind: "OciSync",
    plural: "ocisyncs",
    namespace: nsB,
    name: "other",
    spec: ociSpec("127.0.0.1:1/config/other:v1"),
    status: {
      observedGeneration: 1,
      conditions: [cond("True", "Succeeded", "ok")],
      sync: { digest: D1, lastUpdate: NOW },
    },
  });
  await create({
    kind: "ArtifactPull",
    plural: "artifactpulls",
    namespace: nsA,
    name: "pull-b",
    spec: {
      source: { registry: "127.0.0.1:1", project: "apps", repository: "demo", tag: "1.0" },
      destination: { s3: { endpoint: "http://127.0.0.1:1", bucket: "artifacts", prefix: "demo/" } },
    },
    status: { conditions: [cond("True", "Succeeded", "pulled")], resolvedDigest: D2 },
  });
  await create({
    kind: "ImageImport",
    plural: "imageimports",
    namespace: nsA,
    name: "import-a",
    spec: {
      source: { s3: { endpoint: "http://127.0.0.1:1", bucket: "airgap", key: "app.tar" } },
      destination: { registry: "127.0.0.1:1", repository: "apps/app", tags: ["1"] },
    },
    status: { conditions: [cond("False", "SourceNotFound", "no such key")] },
  });
});

after(async () => {
  await kube.call("DELETE", `/api/v1/namespaces/${nsA}`);
  await kube.call("DELETE", `/api/v1/namespaces/${nsB}`);
  await kube.close();
});

/** Two files: contexts (and a current context) in the first; clusters, users and a decoy context in the second. */
function twoFileKubeconfig(): string {
  const first = writeKubeconfig(join(scratch, "split", "contexts.yaml"), {
    contexts: [context("team-a", "test", "admin", nsA), context("team-b", "test", "admin", nsB)],
    currentContext: "team-a",
  });
  // The second file's "team-a" points at nothing reachable and its current-context differs: the first file wins both.
  const second = writeKubeconfig(join(scratch, "split", "credentials.yaml"), {
    clusters: [testCluster(env, "test"), { name: "nowhere", cluster: { server: "https://127.0.0.1:1" } }],
    users: [adminUser(env, "admin")],
    contexts: [context("team-a", "nowhere", "admin", nsB)],
    currentContext: "team-b",
  });
  return [join(scratch, "split", "absent.yaml"), first, second].join(":");
}

describe("airlift status: kubeconfig as kubectl loads it", () => {
  it("reads $HOME/.kube/config when KUBECONFIG is unset, in the context's namespace", () => {
    const home = homeWithKubeconfig(env, join(scratch, "home"), nsA);
    const res = airlift(["status"], { HOME: home });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, "");
    assert.match(res.stdout, /^\*home-ctx\n/);
    assert.match(res.stdout, new RegExp(`${nsA}:alpha`));
    assert.doesNotMatch(res.stdout, /other/);
  });

  it("merges a two-file KUBECONFIG (first file wins) and --context picks a context that is not current", () => {
    const KUBECONFIG = twoFileKubeconfig();
    const current = airlift(["status"], { HOME: join(scratch, "empty-home"), KUBECONFIG });
    assert.equal(current.code, 0, current.stderr);
    assert.match(current.stdout, /^\*team-a\n/);
    assert.match(current.stdout, new RegExp(`${nsA}:zeta`));
    const other = airlift(["status", "--context", "team-b"], { HOME: join(scratch, "empty-home"), KUBECONFIG });
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /^\*team-b\n/);
    assert.match(other.stdout, new RegExp(`${nsB}:other`));
    assert.doesNotMatch(other.stdout, /zeta/);
    // -n overrides the context's namespace; -A lists every namespace.
    assert.match(airlift(["status", "--context", "team-b", "-n", nsA], { KUBECONFIG }).stdout, /zeta/);
    const all = airlift(["status", "-A", "--json"], { KUBECONFIG });
    const names = (JSON.parse(all.stdout) as { ociSyncs: { namespace: string; name: string }[] }).ociSyncs
      .filter((s) => s.namespace === nsA || s.namespace === nsB)
      .map((s) => `${s.namespace}/${s.name}`);
    assert.deepEqual(names, [`${nsA}/alpha`, `${nsA}/zeta`, `${nsB}/other`]);
  });

  it("takes --kubeconfig alone over KUBECONFIG", () => {
    const file = writeKubeconfig(join(scratch, "explicit.yaml"), {
      clusters: [testCluster(env, "test")],
      users: [adminUser(env, "admin")],
      contexts: [context("explicit", "test", "admin", nsB)],
      currentContext: "explicit",
    });
    const res = airlift(["status", "--kubeconfig", file], { KUBECONFIG: join(scratch, "split", "contexts.yaml") });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^\*explicit\n/);
  });

  it("prints a sorted nomos-style table: SYNCED @ time, short digests, kind.group/name", () => {
    const res = airlift(["status", "-n", nsA], { KUBECONFIG: twoFileKubeconfig() });
    assert.equal(res.code, 0, res.stderr);
    const out = lines(res.stdout);
    const zeta = out.findIndex((l) => l.includes(`${nsA}:zeta`));
    const alpha = out.findIndex((l) => l.includes(`${nsA}:alpha`));
    assert.ok(alpha > 0 && zeta > alpha, "OciSyncs sorted by name");
    assert.match(out[alpha + 1] ?? "", /^ {3}ERROR\s+sha256:9e8f9e8f$/);
    assert.match(out[alpha + 2] ?? "", /ApplyFailed: 1 object failed to apply/);
    assert.match(out[zeta + 1] ?? "", /^ {3}SYNCED @ 2026-01-02 03:04:05 UTC\s+sha256:1a2b3c4d$/);
    const resources = out.slice(zeta + 4, zeta + 7).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(resources, [
      ["namespace/web", "Current", "sha256:1a2b3c4d"],
      ["web", "configmap/settings", "Current", "sha256:1a2b3c4d"],
      ["web", "deployment.apps/web", "Current", "sha256:1a2b3c4d"],
    ]);
    const table = out.slice(out.findIndex((l) => l.startsWith("KIND")));
    assert.match(table[1] ?? "", new RegExp(`^ArtifactPull\\s+${nsA}/pull-b\\s+True\\s+Succeeded\\s+sha256:9e8f9e8f$`));
    assert.match(table[2] ?? "", new RegExp(`^ImageImport\\s+${nsA}/import-a\\s+False\\s+SourceNotFound$`));
    assert.doesNotMatch(res.stdout, /[0-9a-f]{64}/, "no full digests in the table");
  });

  it("prints --json with full digests, sorted, and filters by --name", () => {
    const res = airlift(["status", "-n", nsA, "--json"], { KUBECONFIG: twoFileKubeconfig() });
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout) as {
      context: string;
      ociSyncs: { name: string; state: string; digest: string; syncedAt?: string; resources: { name: string }[] }[];
      resources: { kind: string; name: string }[];
    };
    assert.equal(report.context, "team-a");
    assert.deepEqual(
      report.ociSyncs.map((s) => [s.name, s.state]),
      [
        ["alpha", "ERROR"],
        ["zeta", "SYNCED"],
      ],
    );
    assert.equal(report.ociSyncs[1]?.digest, D1);
    assert.equal(report.ociSyncs[1]?.syncedAt, "2026-01-02T03:04:05Z");
    assert.deepEqual(
      report.ociSyncs[1]?.resources.map((r) => r.name),
      ["web", "settings", "web"],
    );
    assert.deepEqual(
      report.resources.map((r) => `${r.kind}/${r.name}`),
      ["ArtifactPull/pull-b", "ImageImport/import-a"],
    );
    const one = JSON.parse(
      airlift(["status", "-n", nsA, "--json", "--name", "zeta"], { KUBECONFIG: twoFileKubeconfig() }).stdout,
    ) as typeof report;
    assert.deepEqual(
      one.ociSyncs.map((s) => s.name),
      ["zeta"],
    );
    assert.deepEqual(one.resources, []);
  });

  it("redraws with --poll until interrupted, then exits 0", async () => {
    const run = startAirlift(["status", "-n", nsA, "--poll", "1s", "--json"], { KUBECONFIG: twoFileKubeconfig() });
    const deadline = Date.now() + 30_000;
    while (lines(run.output()).filter((l) => l.startsWith("{")).length < 3 && Date.now() < deadline) await sleep(100);
    const code = await run.stop();
    const rounds = lines(run.output()).map((l) => JSON.parse(l) as { ociSyncs: unknown[] });
    assert.ok(rounds.length >= 3, `${rounds.length} rounds: ${run.errors()}`);
    for (const r of rounds) assert.equal(r.ociSyncs.length, 2);
    assert.equal(code, 0, run.errors());
  });

  it("runs the operator from $HOME/.kube/config with the same loading", async () => {
    const home = homeWithKubeconfig(env, join(scratch, "operator-home"), nsA);
    const run = startAirlift(
      ["operator", "--namespace", nsB, "--watch-namespace", nsB, "--metrics-addr", "0", "--health-addr", "0"],
      { HOME: home },
    );
    const deadline = Date.now() + 30_000;
    while (!run.output().includes("operator started") && Date.now() < deadline) await sleep(100);
    const code = await run.stop();
    assert.match(run.output(), /operator started/, run.errors());
    assert.equal(code, 0, run.errors());
  });
});

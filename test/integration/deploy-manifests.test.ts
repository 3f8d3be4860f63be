// deploy/ on a real kube-apiserver, applied the way users apply it: `kubectl apply -k deploy/ --dry-run=server`
// (kubectl's kustomize, strict field validation, admission) accepts every object; the air-gap overlay that
// docs/operators-guide.md describes (the image from the site's registry by digest, the ca-bundle component) builds
// and is accepted too; the Deployment's pod passes Pod Security "restricted"; and the Dockerfile keeps its promises
// (bases pinned by digest, no npm in the final stage, a numeric user, the CLI's Node flags).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { repoRoot, testEnv } from "../env/index.ts";
import { parseDocs } from "./api-kube-support.ts";
import { cli, dryRunCount, one, podOf, type Cli, type Deployment } from "./deploy-support.ts";

const deployDir = join(repoRoot, "deploy");
const overlayDir = join(repoRoot, "test/fixtures/chart/deploy-overlay");
let kubectl: Cli["kubectl"];

before(async () => {
  ({ kubectl } = cli((await testEnv()).kube.kubeconfigPath));
  await kubectl(["apply", "-f", join(deployDir, "namespace.yaml")]);
});

describe("deploy/", () => {
  it("kubectl apply -k deploy/ --dry-run=server accepts every object, of the expected kinds", async () => {
    const docs = parseDocs((await kubectl(["kustomize", deployDir])).stdout);
    assert.deepEqual([...new Set(docs.map((d) => d.kind))].sort(), [
      "ClusterRole",
      "ClusterRoleBinding",
      "CustomResourceDefinition",
      "Deployment",
      "Namespace",
      "NetworkPolicy",
      "PodDisruptionBudget",
      "Role",
      "RoleBinding",
      "Service",
      "ServiceAccount",
    ]);
    const { stdout } = await kubectl(["apply", "-k", deployDir, "--dry-run=server"]);
    assert.equal(dryRunCount(stdout), docs.length, stdout);
  });

  it("kustomization.yaml lists every file of deploy/ and the CRDs", () => {
    const k = parse(readFileSync(join(deployDir, "kustomization.yaml"), "utf8")) as { resources: string[] };
    const files = readdirSync(deployDir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    assert.deepEqual([...k.resources].sort(), ["../crds", ...files].sort());
    const c = parse(readFileSync(join(repoRoot, "crds/kustomization.yaml"), "utf8")) as { resources: string[] };
    assert.deepEqual(
      [...c.resources].sort(),
      readdirSync(join(repoRoot, "crds"))
        .filter((f) => f.startsWith("airlift.dev_"))
        .sort(),
    );
  });

  it("the Deployment's pod passes Pod Security restricted (and the namespace enforces it)", async () => {
    const pod = podOf(
      parseDocs((await kubectl(["kustomize", deployDir])).stdout),
      "airlift-restricted-check",
      "airlift-system",
    );
    await kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(pod));
    // The check can fail: a pod without the securityContext is refused in the same namespace.
    const loose = {
      ...pod,
      metadata: { name: "airlift-loose-check", namespace: "airlift-system" },
      spec: { containers: [{ name: "c", image: "busybox" }] },
    };
    const refused = await kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(loose), true);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /violates PodSecurity "restricted/);
  });

  it("the guide's air-gap overlay (image by digest, components/ca-bundle, a settings patch) builds and passes kubectl apply --dry-run=server", async () => {
    const docs = parseDocs((await kubectl(["kustomize", overlayDir])).stdout);
    const { spec } = one<Deployment>(docs, "Deployment").spec.template;
    const operator = spec.containers[0]!;
    assert.equal(
      operator.image,
      "registry.airgap.example/platform/airlift@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    );
    assert.equal(operator.env.find((e) => e.name === "NODE_EXTRA_CA_CERTS")?.value, "/etc/airlift/ca/ca.crt");
    assert.deepEqual(operator.volumeMounts.find((m) => m.name === "ca-bundle")?.mountPath, "/etc/airlift/ca");
    // The settings patch: a new variable added, an existing one replaced, each name once.
    const names = operator.env.map((e) => e.name);
    assert.deepEqual(names, [...new Set(names)]);
    assert.equal(operator.env.find((e) => e.name === "AIRLIFT_DNS_SUFFIX")?.value, "zone1.example.com");
    assert.equal(operator.env.find((e) => e.name === "LOG_LEVEL")?.value, "debug");
    // The generated ConfigMap's hashed name reaches the volume, so a new bundle rolls the operator.
    const configMap = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name.startsWith("airlift-ca-bundle-"));
    assert.ok(configMap, "no generated airlift-ca-bundle ConfigMap");
    assert.equal(spec.volumes.find((v) => v.name === "ca-bundle")?.configMap?.name, configMap.metadata.name);
    assert.ok(Object.keys((configMap as unknown as { data: Record<string, string> }).data).includes("ca.crt"));
    await kubectl(["apply", "-k", overlayDir, "--dry-run=server"]);
  });
});

describe("Dockerfile", () => {
  const text = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
  const lines = text.split("\n");
  const finalStage = lines.slice(lines.findLastIndex((l) => l.startsWith("FROM "))).join("\n");

  it("pins every base image by digest", () => {
    const args = [...text.matchAll(/^ARG (\w+_IMAGE)=(.+)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    assert.deepEqual(
      args.map(([name]) => name),
      ["NODE_IMAGE", "RUNTIME_IMAGE", "GOLANG_IMAGE"],
    );
    for (const [name, ref] of args) assert.match(ref, /^[a-z0-9./-]+:[\w.-]+@sha256:[a-f0-9]{64}$/, name);
    for (const from of text.matchAll(/^FROM (\S+)/gm)) assert.match(from[1]!, /^\$\{(NODE|RUNTIME|GOLANG)_IMAGE\}$/);
  });

  it("runs as a numeric non-root user, from a final stage that copies the node binary but not npm, npx, corepack or yarn", () => {
    assert.match(finalStage, /^FROM \$\{RUNTIME_IMAGE\}$/m);
    assert.match(finalStage, /^USER [1-9][0-9]*:[1-9][0-9]*$/m);
    assert.match(finalStage, /^COPY --from=\w+ \/usr\/local\/bin\/node \/usr\/local\/bin\/node$/m);
    const instructions = finalStage
      .split("\n")
      .filter((l) => !l.startsWith("#"))
      .join("\n");
    assert.doesNotMatch(instructions, /\b(npm|npx|corepack|yarn)\b|\/usr\/local\/lib/);
    assert.doesNotMatch(instructions, /^RUN /m);
  });

  it("starts the CLI with the Node flags of bin/airlift.mjs", () => {
    const shebang = readFileSync(join(repoRoot, "bin/airlift.mjs"), "utf8").split("\n")[0]!;
    const flags = shebang
      .replace(/^#!\/usr\/bin\/env -S node ?/, "")
      .split(" ")
      .filter(Boolean);
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(finalStage)![1]!) as string[];
    assert.deepEqual(entrypoint, ["/usr/local/bin/node", ...flags, "dist/cli/main.js"]);
  });
});

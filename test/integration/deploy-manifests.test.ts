// deploy/ and the Helm chart on a real kube-apiserver: every document passes server-side dry-run apply, the
// Deployment's pod passes Pod Security "restricted", the chart lints and renders the same objects (with default
// values and with a GDC dnsSuffix), and the RBAC it grants is what the operator needs and no more.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { repoRoot, run, testEnv } from "../env/index.ts";
import { createNamespace, installCrds, kubeClient, parseDocs, type Doc, type Kube } from "./api-kube-support.ts";

const suffix = randomBytes(3).toString("hex");
const chart = join(repoRoot, "charts/airlift");
let kube: Kube;

before(async () => {
  kube = kubeClient(await testEnv());
  await installCrds(kube);
});
after(() => kube.close());

function deployDocs(): Doc[] {
  const dir = join(repoRoot, "deploy");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .sort()
    .flatMap((f) => parseDocs(readFileSync(join(dir, f), "utf8")));
}

async function helmTemplate(release: string, namespace: string, set: string[] = []): Promise<Doc[]> {
  const args = ["template", release, chart, "--namespace", namespace, "--include-crds", ...set.flatMap((s) => ["--set", s])];
  return parseDocs((await run("helm", args)).stdout);
}

/** Applies namespaces for real (dry-run needs them to exist), then every document with dryRun=All. */
async function dryRunAll(docs: Doc[]): Promise<void> {
  for (const doc of docs.filter((d) => d.kind === "Namespace")) await kube.apply(doc);
  for (const doc of docs) await kube.apply(doc, { dryRun: true });
}

function env(docs: Doc[]): Record<string, string> {
  const deployment = docs.find((d) => d.kind === "Deployment") as unknown as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
  return Object.fromEntries(deployment.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value ?? "(from field)"]));
}

async function canI(user: string, attrs: Record<string, string>): Promise<boolean> {
  const { status, body } = await kube.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
    body: { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec: { user, groups: ["system:serviceaccounts"], resourceAttributes: attrs } },
  });
  assert.equal(status, 201, JSON.stringify(body));
  return (body.status as { allowed: boolean }).allowed;
}

describe("deploy/", () => {
  it("every document passes server-side dry-run apply", async () => {
    const docs = deployDocs();
    assert.deepEqual([...new Set(docs.map((d) => d.kind))].sort(), ["ClusterRole", "ClusterRoleBinding", "Deployment", "Namespace", "Role", "RoleBinding", "Service", "ServiceAccount"]);
    await dryRunAll(docs);
  });

  it("kustomization.yaml lists every file of deploy/ and the CRDs", () => {
    const k = parse(readFileSync(join(repoRoot, "deploy/kustomization.yaml"), "utf8")) as { resources: string[] };
    const files = readdirSync(join(repoRoot, "deploy")).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    assert.deepEqual([...k.resources].sort(), ["../crds", ...files].sort());
    const c = parse(readFileSync(join(repoRoot, "crds/kustomization.yaml"), "utf8")) as { resources: string[] };
    assert.deepEqual([...c.resources].sort(), readdirSync(join(repoRoot, "crds")).filter((f) => f.startsWith("airlift.dev_")).sort());
  });

  it("the Deployment's pod passes Pod Security restricted (and the namespace enforces it)", async () => {
    const docs = deployDocs();
    await kube.apply(docs.find((d) => d.kind === "Namespace")!);
    const deployment = docs.find((d) => d.kind === "Deployment") as unknown as { spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } } };
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "airlift-restricted-check", namespace: "airlift-system" }, spec: deployment.spec.template.spec };
    await kube.apply(pod, { dryRun: true });
    // The check can fail: a pod without the securityContext is refused in the same namespace.
    const loose = { ...pod, metadata: { ...pod.metadata, name: "airlift-loose-check" }, spec: { containers: [{ name: "c", image: "busybox" }] } };
    await assert.rejects(kube.apply(loose, { dryRun: true }), /violates PodSecurity "restricted/);
  });
});

describe("charts/airlift", () => {
  it("helm lint passes (strict), with default values and with dnsSuffix", async () => {
    await run("helm", ["lint", "--strict", chart]);
    await run("helm", ["lint", "--strict", chart, "--set", "dnsSuffix=zone1.example.com"]);
  });

  it("the chart's CRDs are identical to crds/", () => {
    const names = readdirSync(join(repoRoot, "crds")).filter((f) => f.startsWith("airlift.dev_"));
    assert.deepEqual(readdirSync(join(chart, "crds")).sort(), [...names].sort());
    for (const name of names) assert.ok(readFileSync(join(chart, "crds", name), "utf8") === readFileSync(join(repoRoot, "crds", name), "utf8"), `${name} drifted`);
  });

  it("helm template with default values passes server-side dry-run apply and renders what deploy/ holds", async () => {
    const ns = `deploy-helm-${suffix}`;
    await createNamespace(kube, ns);
    const docs = await helmTemplate(`d${suffix}`, ns);
    await dryRunAll(docs);
    const kinds = (list: Doc[]): string[] => list.map((d) => d.kind).filter((k) => k !== "Namespace").sort();
    assert.deepEqual(kinds(docs), kinds([...deployDocs(), ...parseDocs(readdirSync(join(repoRoot, "crds")).filter((f) => f.startsWith("airlift.dev_")).map((f) => readFileSync(join(repoRoot, "crds", f), "utf8")).join("\n---\n"))]));
    const e = env(docs);
    assert.equal(e.AIRLIFT_DEFAULT_REGISTRY, "");
    assert.equal(e.AIRLIFT_LEADER_ELECT, "true");
    assert.deepEqual(env(deployDocs()), { ...e, AIRLIFT_DEFAULT_REGISTRY: "", AIRLIFT_DEFAULT_S3_ENDPOINT: "" });
  });

  it("dnsSuffix gives harbor.<suffix> and objectstorage.<suffix>, explicit defaults win, and it passes dry-run apply", async () => {
    const ns = `deploy-gdc-${suffix}`;
    await createNamespace(kube, ns);
    const docs = await helmTemplate(`g${suffix}`, ns, ["dnsSuffix=zone1.example.com", "logLevel=debug", "allowCrossNamespaceSecrets=true"]);
    await dryRunAll(docs);
    const e = env(docs);
    assert.equal(e.AIRLIFT_DEFAULT_REGISTRY, "harbor.zone1.example.com");
    assert.equal(e.AIRLIFT_DEFAULT_S3_ENDPOINT, "objectstorage.zone1.example.com");
    assert.equal(e.LOG_LEVEL, "debug");
    assert.equal(e.AIRLIFT_ALLOW_CROSS_NAMESPACE_SECRETS, "true");
    const explicit = env(await helmTemplate(`x${suffix}`, ns, ["dnsSuffix=zone1.example.com", "defaults.registry=registry.local:5000"]));
    assert.equal(explicit.AIRLIFT_DEFAULT_REGISTRY, "registry.local:5000");
    assert.equal(explicit.AIRLIFT_DEFAULT_S3_ENDPOINT, "objectstorage.zone1.example.com");
  });

  it("the RBAC grants what the reconcilers need and, without the root sync, no more", async () => {
    const ns = `deploy-rbac-${suffix}`;
    const release = `r${suffix}`;
    await createNamespace(kube, ns);
    const docs = (await helmTemplate(release, ns, ["rbac.rootSync=false"])).filter((d) => d.kind !== "CustomResourceDefinition");
    for (const doc of docs) await kube.apply(doc);
    const sa = `system:serviceaccount:${ns}:${release}-airlift`;
    const tenant = "some-tenant";
    const allowed: Record<string, string>[] = [
      { verb: "watch", group: "airlift.dev", resource: "ocisyncs", namespace: tenant },
      { verb: "patch", group: "airlift.dev", resource: "imageimports", subresource: "status", namespace: tenant },
      { verb: "get", resource: "secrets", namespace: tenant },
      { verb: "create", group: "events.k8s.io", resource: "events", namespace: tenant },
      { verb: "impersonate", resource: "serviceaccounts", namespace: tenant },
      { verb: "update", group: "coordination.k8s.io", resource: "leases", name: "airlift-leader", namespace: ns },
    ];
    const refused: Record<string, string>[] = [
      { verb: "list", resource: "secrets", namespace: tenant },
      { verb: "delete", group: "airlift.dev", resource: "ocisyncs", namespace: tenant },
      { verb: "update", group: "coordination.k8s.io", resource: "leases", name: "someone-elses", namespace: ns },
      { verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: tenant },
      { verb: "create", group: "apps", resource: "deployments", namespace: tenant },
      { verb: "impersonate", resource: "users" },
    ];
    for (const a of allowed) assert.equal(await canI(sa, a), true, `should allow ${JSON.stringify(a)}`);
    for (const a of refused) assert.equal(await canI(sa, a), false, `should refuse ${JSON.stringify(a)}`);
  });
});

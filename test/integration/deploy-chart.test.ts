// charts/airlift with the real helm and kubectl on a real kube-apiserver: `helm lint` and the values schema (a typo is
// refused, naming the key), the render-time guards, `helm template | kubectl apply --dry-run=server -f -` for the
// default and the maximal values (strict field validation, admission, Pod Security "restricted" for the pod), the
// CRDs rendered as templates (equal to crds/, kept by `helm uninstall`, updated by `helm upgrade`, and adopted from an
// install whose CRDs came from a crds/ folder with the commands of docs/operators-guide.md), and the RBAC granted.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { parse, parseDocument, stringify, type YAMLMap } from "yaml";
import { repoRoot, testEnv } from "../env/index.ts";
import { kubeClient, parseDocs, type Doc, type Kube } from "./api-kube-support.ts";
import {
  cli,
  deployDocs,
  dryRunCount,
  env,
  one,
  operator,
  podOf,
  schemaPaths,
  valueKeys,
  type Cli,
  type Deployment,
  type SchemaNode,
} from "./deploy-support.ts";

const suffix = randomBytes(3).toString("hex");
const chart = join(repoRoot, "charts/airlift");
const maxValues = join(repoRoot, "test/fixtures/chart/values-max.yaml");
const crdFiles = readdirSync(join(repoRoot, "crds"))
  .filter((f) => f.startsWith("airlift.dev_"))
  .sort();
let kubectl: Cli["kubectl"];
let helm: Cli["helm"];
let kube: Kube;

before(async () => {
  const env = await testEnv();
  ({ kubectl, helm } = cli(env.kube.kubeconfigPath));
  kube = kubeClient(env);
});
after(() => kube.close());

interface Render {
  text: string;
  docs: Doc[];
}

async function template(
  release: string,
  namespace: string,
  options: { set?: string[]; values?: string } = {},
): Promise<Render> {
  const args = [
    "template",
    release,
    chart,
    "--namespace",
    namespace,
    ...(options.set ?? []).flatMap((s) => ["--set", s]),
  ];
  if (options.values) args.push("--values", options.values);
  const { stdout } = await helm(args);
  return { text: stdout, docs: parseDocs(stdout) };
}

async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }),
  );
}

/** `kubectl apply --dry-run=server -f -`: every object accepted (strict field validation, admission). */
async function dryRun(render: Render): Promise<void> {
  const { stdout } = await kubectl(["apply", "--dry-run=server", "-f", "-"], render.text);
  assert.equal(dryRunCount(stdout), render.docs.length, stdout);
}

/** Dry-runs the Deployment's pod in a namespace that enforces Pod Security "restricted". */
async function assertRestricted(docs: Doc[], ns: string): Promise<void> {
  await kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(podOf(docs, "airlift-restricted-check", ns)));
}

describe("values and schema", () => {
  it("helm lint --strict passes with the default values, the maximal values and a GDC dnsSuffix", async () => {
    await helm(["lint", "--strict", chart]);
    await helm(["lint", "--strict", chart, "--values", maxValues]);
    await helm(["lint", "--strict", chart, "--set", "dnsSuffix=zone1.example.com"]);
  });

  it("a misspelt or mistyped value is refused by the schema, naming the key", async () => {
    const cases: [string, RegExp][] = [
      ["image.tagg=1.0.0", /at '\/image': additional properties 'tagg' not allowed/],
      ["replica=3", /additional properties 'replica' not allowed/],
      ["leaderElection.enable=false", /at '\/leaderElection': additional properties 'enable' not allowed/],
      ["image.digest=latest", /at '\/image\/digest'/],
      ["logLevel=verbose", /at '\/logLevel'/],
    ];
    for (const [set, message] of cases) {
      for (const command of ["lint", "template"]) {
        const result = await helm([command, chart, "--set", set], true);
        assert.notEqual(result.code, 0, `${command} --set ${set} should fail`);
        assert.match(result.stderr + result.stdout, message, `${command} --set ${set}`);
      }
    }
  });

  it("values.yaml and values.schema.json hold the same keys; every top-level value is commented and every schema key described", () => {
    const text = readFileSync(join(chart, "values.yaml"), "utf8");
    const schema = JSON.parse(readFileSync(join(chart, "values.schema.json"), "utf8")) as SchemaNode;
    assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#");
    const schemaKeys = schemaPaths(schema).map(([path]) => path);
    assert.deepEqual(schemaKeys.sort(), valueKeys(parse(text) as Record<string, unknown>, schema).sort());
    const undescribed = schemaPaths(schema)
      .filter(([, node]) => !node.description)
      .map(([path]) => path);
    assert.deepEqual(undescribed, []);
    const contents = parseDocument(text).contents as YAMLMap<{ value: string; commentBefore?: string }>;
    const uncommented = contents.items.filter((p) => !p.key.commentBefore?.trim()).map((p) => p.key.value);
    assert.deepEqual(uncommented, []);
  });
});

describe("render-time guards", () => {
  it("two replicas with leader election off fail to render, saying what to change", async () => {
    // (helm lint only logs a template's `fail` as [INFO]; template, install and upgrade stop on it.)
    for (const command of [
      ["template", "two"],
      ["install", "two", "--dry-run=client"],
    ]) {
      const result = await helm([...command, chart, "--set", "leaderElection.enabled=false"], true);
      assert.notEqual(result.code, 0, command.join(" "));
      assert.match(
        result.stderr + result.stdout,
        /replicas=2 with leaderElection\.enabled=false: every replica would reconcile the same objects at once\. Set leaderElection\.enabled=true, or replicas=1\./,
      );
    }
    // One replica without leader election is fine, and gets no PodDisruptionBudget (it would block every drain).
    const single = await template("single", "default", { set: ["leaderElection.enabled=false", "replicas=1"] });
    assert.equal(env(single.docs).AIRLIFT_LEADER_ELECT, "false");
    assert.equal(single.docs.filter((d) => d.kind === "PodDisruptionBudget").length, 0);
  });

  it("an operator-wide CA from both a ConfigMap and a Secret is refused", async () => {
    const result = await helm(
      ["template", chart, "--set", "caBundle.configMap.name=a", "--set", "caBundle.secret.name=b"],
      true,
    );
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /caBundle: set caBundle\.configMap\.name or caBundle\.secret\.name, not both/);
  });
});

describe("default values", () => {
  it("render what deploy/ holds, with the same environment, and pass kubectl apply --dry-run=server", async () => {
    const ns = `chart-default-${suffix}`;
    await namespace(ns);
    const render = await template(`d${suffix}`, ns);
    await dryRun(render);
    const kinds = (list: Doc[]): string[] =>
      list
        .map((d) => d.kind)
        .filter((k) => k !== "Namespace")
        .sort();
    const crds = crdFiles.flatMap((f) => parseDocs(readFileSync(join(repoRoot, "crds", f), "utf8")));
    assert.deepEqual(kinds(render.docs), kinds([...deployDocs(), ...crds]));
    assert.deepEqual(env(render.docs), env(deployDocs()));
    assert.deepEqual(operator(render.docs).args, operator(deployDocs()).args);
    assert.equal(operator(render.docs).image, "ghcr.io/airlift-dev/airlift:0.1.0");
  });

  it("the pod passes Pod Security restricted, with the default values and with the maximal ones", async () => {
    const ns = `chart-psa-${suffix}`;
    await namespace(ns, { "pod-security.kubernetes.io/enforce": "restricted" });
    await kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "scheduling.k8s.io/v1",
        kind: "PriorityClass",
        metadata: { name: "airlift-max-critical" },
        value: 1000000,
      }),
    );
    await assertRestricted((await template("psa", ns)).docs, ns);
    await assertRestricted((await template("psa", ns, { values: maxValues })).docs, ns);
    // The check can fail: dropping the container's securityContext is refused.
    const loose = await template("psa", ns, { set: ["containerSecurityContext=null"] });
    await assert.rejects(assertRestricted(loose.docs, ns), /violates PodSecurity "restricted/);
  });

  it("dnsSuffix gives harbor.<suffix> and objectstorage.<suffix>, and explicit defaults win", async () => {
    const e = env(
      (
        await template("g", "default", {
          set: ["dnsSuffix=zone1.example.com", "logLevel=debug", "allowCrossNamespaceSecrets=true"],
        })
      ).docs,
    );
    assert.equal(e.AIRLIFT_DEFAULT_REGISTRY, "harbor.zone1.example.com");
    assert.equal(e.AIRLIFT_DEFAULT_S3_ENDPOINT, "objectstorage.zone1.example.com");
    assert.equal(e.LOG_LEVEL, "debug");
    assert.equal(e.AIRLIFT_ALLOW_CROSS_NAMESPACE_SECRETS, "true");
    const explicit = env(
      (
        await template("x", "default", {
          set: ["dnsSuffix=zone1.example.com", "defaults.registry=registry.local:5000"],
        })
      ).docs,
    );
    assert.equal(explicit.AIRLIFT_DEFAULT_REGISTRY, "registry.local:5000");
    assert.equal(explicit.AIRLIFT_DEFAULT_S3_ENDPOINT, "objectstorage.zone1.example.com");
  });
});

describe("maximal values", () => {
  it("sharding.shards adds one Deployment per shard, each on its own Lease; the main one takes the unlabelled", async () => {
    const ns = `chart-shards-${suffix}`;
    await namespace(ns);
    const render = await template(`s${suffix}`, ns, { set: ["sharding.shards={shard1,shard2}"] });
    await dryRun(render);
    const deployments = render.docs.filter((d) => d.kind === "Deployment") as unknown as (Deployment & {
      metadata: { name: string };
    })[];
    const args = (d: Deployment): string[] =>
      (d.spec.template.spec as unknown as { containers: { args: string[] }[] }).containers[0]?.args ?? [];
    const byName = new Map(deployments.map((d) => [d.metadata.name, d]));
    assert.deepEqual([...byName.keys()].sort(), [
      `s${suffix}-airlift`,
      `s${suffix}-airlift-shard1`,
      `s${suffix}-airlift-shard2`,
    ]);
    const main = byName.get(`s${suffix}-airlift`) as Deployment;
    assert.ok(args(main).includes("--watch-label-selector=!sharding.airlift.dev/key"));
    assert.ok(!args(main).some((a) => a.startsWith("--leader-election-id")));
    for (const shard of ["shard1", "shard2"]) {
      const d = byName.get(`s${suffix}-airlift-${shard}`) as Deployment;
      assert.ok(args(d).includes(`--watch-label-selector=sharding.airlift.dev/key=${shard}`));
      assert.ok(args(d).includes(`--leader-election-id=airlift-leader-${shard}`));
      assert.equal(d.spec.selector.matchLabels["airlift.dev/shard"], shard);
      assert.equal(d.spec.template.metadata.labels["airlift.dev/shard"], shard);
    }
  });

  it("pass kubectl apply --dry-run=server, and every value lands where it should", async () => {
    const ns = `chart-max-${suffix}`;
    await namespace(ns);
    const render = await template(`m${suffix}`, ns, { values: maxValues });
    await dryRun(render);
    const docs = render.docs;
    const deployment = one<Deployment>(docs, "Deployment");
    const pod = deployment.spec.template.spec;
    const c = operator(docs);
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(
      c.image,
      "registry.airgap.example/platform/airlift@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    );
    assert.deepEqual(c.args, [
      "operator",
      "--lease-duration=30s",
      "--renew-deadline=20s",
      "--retry-period=4s",
      "--shutdown-timeout=45s",
      "--work-dir=/work",
    ]);
    // extraEnv replaces the chart's LOG_LEVEL rather than adding a second one.
    assert.deepEqual(
      c.env.filter((e) => e.name === "LOG_LEVEL"),
      [{ name: "LOG_LEVEL", value: "trace" }],
    );
    // The site's CA bundle is watched through the API (no mount): its namespace, name and key in one flag value.
    assert.equal(env(docs).AIRLIFT_CA_BUNDLE, `configmap:${ns}/airlift-site-ca#site-root.pem`);
    assert.equal(env(docs).NODE_EXTRA_CA_CERTS, undefined);
    assert.equal(
      pod.volumes.find((v) => v.name === "ca-bundle"),
      undefined,
    );
    assert.equal(env(docs).AIRLIFT_WATCH_NAMESPACE, "tenants");
    assert.equal(env(docs).AIRLIFT_ALLOW_LOOPBACK_ENDPOINTS, "true");
    assert.equal(pod.serviceAccountName, "airlift-operator");
    assert.equal(pod.priorityClassName, "airlift-max-critical");
    assert.equal(pod.securityContext.runAsUser, 10001);
    assert.equal(pod.securityContext.runAsNonRoot, true, "a key the user did not set keeps its restricted default");
    assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] });
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    const labels = deployment.spec.template.metadata.labels;
    assert.equal(labels["example.com/team"], "platform");
    assert.equal(labels["app.kubernetes.io/name"], "airlift-max", "the chart's own label wins over podLabels");
    const [zone, host] = pod.topologySpreadConstraints ?? [];
    assert.deepEqual(
      zone?.labelSelector.matchLabels,
      deployment.spec.selector.matchLabels,
      "a constraint without labelSelector gets the pod's",
    );
    assert.deepEqual(host?.labelSelector.matchLabels, { "app.kubernetes.io/name": "airlift-max" });
    const pdb = one<{ spec: Record<string, unknown> }>(docs, "PodDisruptionBudget");
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.equal(pdb.spec.minAvailable, undefined, "maxUnavailable wins over minAvailable");
    const policy = one<{ spec: { ingress: { from?: unknown[] }[]; egress: unknown[] } }>(docs, "NetworkPolicy");
    assert.equal(policy.spec.ingress[0]?.from?.length, 1);
    assert.equal(policy.spec.egress.length, 2);
    for (const crd of docs.filter((d) => d.kind === "CustomResourceDefinition")) {
      assert.equal(
        (crd.metadata as { annotations?: unknown }).annotations,
        undefined,
        "crds.keep=false: no keep annotation",
      );
    }
  });

  it("a typo inside a Kubernetes-typed value, which the schema leaves open, is refused by the dry run", async () => {
    const ns = `chart-max-${suffix}`;
    const render = await template(`t${suffix}`, ns, {
      values: maxValues,
      set: ["extraVolumes[0].name=work", "extraVolumes[0].emptyDri.medium=Memory"],
    });
    const result = await kubectl(["apply", "--dry-run=server", "-f", "-"], render.text, true);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /strict decoding error: unknown field "spec\.template\.spec\.volumes\[\d\]\.emptyDri"/);
  });
});

describe("CRDs", () => {
  it("the chart's copy is crds/, and renders as crds/ plus the release labels and, by default, the keep annotation", async () => {
    assert.deepEqual(readdirSync(join(chart, "files/crds")).sort(), crdFiles);
    for (const name of crdFiles)
      assert.ok(
        readFileSync(join(chart, "files/crds", name), "utf8") === readFileSync(join(repoRoot, "crds", name), "utf8"),
        `${name} drifted`,
      );
    assert.ok(!existsSync(join(chart, "crds")), "a crds/ folder would be installed once and never upgraded");
    const rendered = (await template("c", "default")).docs.filter((d) => d.kind === "CustomResourceDefinition");
    assert.equal(rendered.length, crdFiles.length);
    for (const name of crdFiles) {
      const want = parse(readFileSync(join(repoRoot, "crds", name), "utf8")) as Doc & {
        metadata: { labels: Record<string, string> };
      };
      const got = rendered.find((d) => d.metadata.name === want.metadata.name) as
        (Doc & { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } }) | undefined;
      assert.ok(got, `${want.metadata.name} not rendered`);
      assert.deepEqual(got.metadata.annotations, { "helm.sh/resource-policy": "keep" });
      assert.equal(got.metadata.labels["app.kubernetes.io/managed-by"], "Helm");
      for (const [k, v] of Object.entries(want.metadata.labels)) assert.equal(got.metadata.labels[k], v);
      const strip = (d: Doc): Doc => ({ ...d, metadata: { name: d.metadata.name } });
      assert.ok(isDeepStrictEqual(strip(got), strip(want)), `${name}: the rendered spec differs from crds/`);
    }
    const off = await template("c", "default", { set: ["crds.enabled=false"] });
    assert.equal(off.docs.filter((d) => d.kind === "CustomResourceDefinition").length, 0);
  });

  it("adoption from a crds/ install with the guide's commands, then helm upgrade updates them and helm uninstall keeps them", async () => {
    // A copy of the chart whose CRDs are renamed into a group of this run, so the CRDs other test files use are never
    // re-versioned under them. Their labels stay, so the guide's label selector finds them (it also labels the real
    // CRDs with Helm metadata; metadata only, which leaves their served versions alone).
    const dir = mkdtempSync(join(tmpdir(), "airlift-chart-"));
    const copy = join(dir, "airlift");
    cpSync(chart, copy, { recursive: true });
    const group = `u${suffix}.upgrade.airlift.test`;
    const renamed = renameCrds(copy, group);
    const ns = `chart-upgrade-${suffix}`;
    const release = `u${suffix}`;
    await namespace(ns);
    try {
      // An install made with a chart that had the CRDs in crds/: they exist, without Helm's ownership metadata.
      await kubectl(["apply", "-f", "-"], renamed.map((d) => JSON.stringify(d)).join("\n"));
      const refused = await helm(["install", release, copy, "-n", ns], true);
      assert.notEqual(refused.code, 0);
      assert.match(
        refused.stderr,
        /exists and cannot be imported into the current release: invalid ownership metadata/,
      );
      // docs/operators-guide.md, "Upgrading from a chart that kept the CRDs in crds/".
      await kubectl([
        "label",
        "crd",
        "-l",
        "app.kubernetes.io/part-of=airlift",
        "app.kubernetes.io/managed-by=Helm",
        "--overwrite",
      ]);
      await kubectl([
        "annotate",
        "crd",
        "-l",
        "app.kubernetes.io/part-of=airlift",
        `meta.helm.sh/release-name=${release}`,
        `meta.helm.sh/release-namespace=${ns}`,
        "--overwrite",
      ]);
      await helm(["upgrade", "--install", release, copy, "-n", ns]);
      const names = renamed.map((d) => d.metadata.name);
      // A new chart version whose CRD changed: helm upgrade updates it in place.
      const file = join(copy, "files/crds", readdirSync(join(copy, "files/crds"))[0]!);
      writeFileSync(file, readFileSync(file, "utf8").replace("description: ", "description: Changed by the upgrade. "));
      writeFileSync(
        join(copy, "Chart.yaml"),
        readFileSync(join(copy, "Chart.yaml"), "utf8").replace(/^version: .*$/m, "version: 9.9.9"),
      );
      await helm(["upgrade", release, copy, "-n", ns]);
      const live = (await kubectl(["get", "crd", ...names, "-o", "json"])).stdout;
      const items = (JSON.parse(live) as { items: { metadata: { labels: Record<string, string> } }[] }).items;
      assert.deepEqual(
        items.map((c) => c.metadata.labels["helm.sh/chart"]),
        names.map(() => "airlift-9.9.9"),
      );
      assert.match(live, /Changed by the upgrade\./);
      // helm uninstall keeps them (crds.keep), and with them every object of those kinds.
      const uninstall = await helm(["uninstall", release, "-n", ns]);
      assert.match(uninstall.stdout, /These resources were kept due to the resource policy/);
      const left = await kubectl(["get", "crd", ...names, "-o", "name"]);
      assert.equal(left.stdout.trim().split("\n").length, names.length);
    } finally {
      await helm(["uninstall", release, "-n", ns], true);
      await kubectl(["delete", "crd", "-l", `airlift.test/run=${suffix}`, "--ignore-not-found"], undefined, true);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("RBAC", () => {
  it("grants what the reconcilers need and, without the root sync, no more", async () => {
    const ns = `chart-rbac-${suffix}`;
    const release = `r${suffix}`;
    await namespace(ns);
    const render = await template(release, ns, { set: ["rbac.rootSync=false", "crds.enabled=false"] });
    await kubectl(["apply", "-f", "-"], render.text);
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

async function canI(user: string, attrs: Record<string, string>): Promise<boolean> {
  const { status, body } = await kube.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: { user, groups: ["system:serviceaccounts"], resourceAttributes: attrs },
    },
  });
  assert.equal(status, 201, JSON.stringify(body));
  return (body.status as { allowed: boolean }).allowed;
}

/** Renames the copy's CRDs into `group` (no short names or categories, which would clash with the real ones). */
function renameCrds(copy: string, group: string): Doc[] {
  const dir = join(copy, "files/crds");
  return readdirSync(dir).map((file) => {
    const crd = parse(readFileSync(join(dir, file), "utf8")) as Doc & {
      metadata: { labels: Record<string, string> };
      spec: { group: string; names: Record<string, unknown> };
    };
    crd.spec.group = group;
    crd.metadata.name = `${String(crd.spec.names.plural)}.${group}`;
    crd.metadata.labels["airlift.test/run"] = suffix;
    delete crd.spec.names.shortNames;
    delete crd.spec.names.categories;
    writeFileSync(join(dir, file), stringify(crd));
    return crd;
  });
}

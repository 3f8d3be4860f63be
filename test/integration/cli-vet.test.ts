// `airlift vet` as a user runs it: the schemas exported from the real API server with --export-schemas, then bundles
// checked offline against that file (a folder, a tar.gz, an image pushed with crane, an OCI layout from crane pull),
// rendered with the real kustomize and substituted with --var / --vars-file. A good bundle exits 0; each broken one
// (schema errors in a built-in kind, an airlift CRD and a CRD the bundle brings, a duplicate after scoping, objects
// outside a tenant's namespace, an undefined variable) exits 1 with `file:line:` lines pointing at the fault.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { airliftArgs, run, type EnvironmentConnection, type RunResult } from "../env/index.ts";
import { adminOnTestEnv, pushWithCrane, unique, writeFiles } from "./ocisync-support.ts";

let env: EnvironmentConnection;
let schemas: string;

async function vet(args: string[]): Promise<RunResult> {
  const [cmd, argv] = airliftArgs(["vet", ...args]);
  return run(cmd, argv, { allowFailure: true });
}

/** The 1-based line of the first line of `file` in `files` containing `text`. */
function lineOf(files: Record<string, string>, file: string, text: string): number {
  const i = (files[file] ?? "").split("\n").findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} in ${file}`);
  return i + 1;
}

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

/** A base and an overlay: everything a sync would accept. */
function goodRepo(): Record<string, string> {
  return {
    "base/kustomization.yaml":
      "resources:\n  - app.yaml\n  - widget-crd.yaml\n  - widget.yaml\nconfigMapGenerator:\n  - name: env\n    literals:\n      - MODE=prod\n",
    "base/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.\${DOMAIN}/web:1.0
          ports:
            - containerPort: 8080
          livenessProbe:
            httpGet: {path: /, port: http}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetPort: 8080
`,
    "base/widget-crd.yaml": WIDGET_CRD,
    "base/widget.yaml":
      "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n  extra: {anything: [1, 2]}\n",
    "overlays/site/kustomization.yaml": "namePrefix: site-\nresources:\n  - ../../base\n",
  };
}

/** Plain files (no kustomization) with schema errors in three kinds of kinds. */
function schemaErrors(): Record<string, string> {
  return {
    "app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: two
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: web:1.0
          imagePullPolicy: Sometimes
          imagePullSecret: regcred
`,
    "sync.yaml":
      "apiVersion: airlift.dev/v1alpha1\nkind: OciSync\nmetadata:\n  name: apps\nspec:\n  oci:\n    image: r.example/apps:1\n    prune: yes-please\n",
    "widget-crd.yaml": WIDGET_CRD,
    "widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: large\n",
  };
}

describe("airlift vet", () => {
  before(async () => {
    const opened = await adminOnTestEnv();
    env = opened.env;
    await opened.admin.close();
    schemas = join(writeFiles({}), "site.schemas.json");
    const out = await vet(["--export-schemas", schemas, "--kubeconfig", env.kube.kubeconfigPath]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /wrote \d+ schemas of \d+ kinds/);
  });

  it("a good overlay, rendered by kustomize and substituted, is clean offline: exit 0 (folder and tar.gz)", async () => {
    const files = goodRepo();
    const dir = writeFiles(files);
    const args = ["--dir", "overlays/site", "--var", "DOMAIN=site-a.example", "--schemas", schemas];
    const ok = await vet([dir, ...args]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stderr, /5 objects, no findings/);

    const tarball = join(dir, "..", `${unique("bundle")}.tar.gz`);
    await run("tar", ["-C", dir, "-czf", tarball, ...Object.keys(files)]);
    const fromTar = await vet([tarball, ...args, "--json"]);
    assert.equal(fromTar.code, 0, fromTar.stdout + fromTar.stderr);
    const doc = JSON.parse(fromTar.stdout) as { objects: number; findings: unknown[]; schemasChecked: boolean };
    assert.deepEqual([doc.objects, doc.findings.length, doc.schemasChecked], [5, 0, true]);
  });

  it("schema errors: unknown fields, wrong types and enums, each at its file:line; exit 1", async () => {
    const files = schemaErrors();
    const out = await vet([writeFiles(files), "--schemas", schemas]);
    assert.equal(out.code, 1, out.stderr);
    const lines = out.stdout.trim().split("\n");
    const expect = [
      `app.yaml:${lineOf(files, "app.yaml", "replicas:")}: Deployment.apps default/web: spec.replicas: wrong type "two": must be integer`,
      `app.yaml:${lineOf(files, "app.yaml", "imagePullPolicy")}: Deployment.apps default/web: spec.template.spec.containers[0].imagePullPolicy: unsupported value "Sometimes": must be one of Always, IfNotPresent, Never`,
      `app.yaml:${lineOf(files, "app.yaml", "imagePullSecret:")}: Deployment.apps default/web: unknown field "spec.template.spec.containers[0].imagePullSecret"`,
      `sync.yaml:${lineOf(files, "sync.yaml", "prune:")}: OciSync.airlift.dev default/apps: unknown field "spec.oci.prune"`,
      `widget.yaml:${lineOf(files, "widget.yaml", "size:")}: Widget.example.com default/w: spec.size: wrong type "large": must be integer`,
    ];
    for (const line of expect) assert.ok(lines.includes(line), `${line}\nin:\n${out.stdout}`);
    assert.equal(lines.length, expect.length, out.stdout);
  });

  it("an overlay's findings point into the base file kustomize read the object from", async () => {
    const files = {
      ...goodRepo(),
      "base/app.yaml": goodRepo()["base/app.yaml"]?.replace("replicas: 2", "replicas: many") ?? "",
    };
    const out = await vet([writeFiles(files), "--dir", "overlays/site", "--var", "DOMAIN=x", "--schemas", schemas]);
    assert.equal(out.code, 1, out.stderr);
    assert.equal(
      out.stdout,
      `base/app.yaml:${lineOf(files, "base/app.yaml", "replicas:")}: Deployment.apps default/site-web: spec.replicas: wrong type "many": must be integer\n`,
    );
  });

  it("a duplicate once the namespace is filled in, and objects outside a tenant's namespace", async () => {
    const cm = (ns: string): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n${ns}data:\n  a: "1"\n`;
    const files = {
      "a.yaml": cm(""),
      "b.yaml": `${cm("  namespace: team-a\n")}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n---\n${cm("  namespace: team-b\n")}`,
    };
    const dir = writeFiles(files);
    // As a root sync everything is fine: a.yaml's ConfigMap goes to default.
    assert.equal((await vet([dir, "--schemas", schemas])).code, 0);
    const out = await vet([dir, "--schemas", schemas, "--namespace", "team-a"]);
    assert.equal(out.code, 1);
    const got = out.stdout.trim().split("\n");
    assert.equal(got.length, 3, out.stdout);
    assert.match(
      got[0] ?? "",
      /^b\.yaml:1: duplicate object ConfigMap team-a\/settings: declared in a\.yaml and b\.yaml#1$/,
    );
    assert.match(
      got[1] ?? "",
      /^b\.yaml:\d+: refused ClusterRole\.rbac\.authorization\.k8s\.io reader .*cluster-scoped objects$/,
    );
    assert.match(got[2] ?? "", /^b\.yaml:\d+: refused ConfigMap team-b\/settings .*objects in namespace team-b$/);
    // Live against the API server, the same verdicts.
    const live = await vet([dir, "--kubeconfig", env.kube.kubeconfigPath, "--namespace", "team-a", "--json"]);
    const findings = (JSON.parse(live.stdout) as { findings: { check: string; reason: string }[] }).findings;
    assert.deepEqual(
      findings.map((f) => `${f.check}/${f.reason}`),
      ["duplicate/DuplicateObject", "scope/ScopeViolation", "scope/ScopeViolation"],
    );
  });

  it("every undefined variable, each at its object's file:line; --vars-file defines them", async () => {
    const files = {
      "app.yaml":
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  host: "${HOST}"\n  port: "${PORT:=80}"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  zone: "${ZONE}"\n',
    };
    const dir = writeFiles(files);
    const out = await vet([dir, "--var", "OTHER=1", "--schemas", schemas]);
    assert.equal(out.code, 1);
    const lines = out.stdout.trim().split("\n");
    assert.equal(lines.length, 2, out.stdout);
    assert.match(lines[0] ?? "", /^app\.yaml:1: .*ConfigMap c: variable HOST is not defined and has no default$/);
    assert.match(lines[1] ?? "", /^app\.yaml:9: .*ConfigMap d: variable ZONE is not defined and has no default$/);
    const varsFile = join(dir, "..", `${unique("vars")}.yaml`);
    writeFileSync(varsFile, "HOST: db.site-a.example\nZONE: 3\n");
    assert.equal((await vet([dir, "--vars-file", varsFile, "--schemas", schemas])).code, 0);
  });

  it("an image reference and an OCI layout of it are fetched and checked like a folder", async () => {
    const ref = `${env.registries.anonymous.host}/${unique("vet/bundle")}/repo:v1`;
    const files = schemaErrors();
    await pushWithCrane(ref, files);
    const fromImage = await vet([ref, "--plain-http", "--schemas", schemas]);
    assert.equal(fromImage.code, 1, fromImage.stderr);
    assert.match(fromImage.stdout, /^app\.yaml:\d+: Deployment\.apps default\/web: spec\.replicas: wrong type/m);
    assert.match(
      fromImage.stderr,
      new RegExp(`${ref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}@sha256:[0-9a-f]{64}: 4 objects, 5 findings`),
    );

    const layout = join(writeFiles({}), "layout");
    await run("crane", ["pull", "--insecure", "--format", "oci", ref, layout]);
    const fromLayout = await vet([layout, "--schemas", schemas]);
    assert.equal(fromLayout.code, 1);
    assert.equal(fromLayout.stdout, fromImage.stdout);
  });

  it("usage errors exit 2", async () => {
    const both = await vet([writeFiles({}), "--schemas", schemas, "--kubeconfig", env.kube.kubeconfigPath]);
    assert.equal(both.code, 2);
    assert.equal((await vet(["--export-schemas", schemas])).code, 2);
    assert.equal((await vet([writeFiles({}), "--var", "not a var"])).code, 2);
  });
});

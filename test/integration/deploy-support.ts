// Support for deploy-chart.test.ts and deploy-manifests.test.ts: kubectl and helm against the test API server (both
// from .cache/bin, installed by scripts/install-tools.sh), typed views of a rendered Deployment, deploy/'s documents,
// and the walk that compares values.yaml with values.schema.json.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cacheBin, repoRoot, run, type RunResult } from "../env/index.ts";
import { parseDocs, type Doc } from "./api-kube-support.ts";

/** kubectl and helm bound to one kubeconfig. */
export interface Cli {
  kubectl: (args: string[], input?: string, allowFailure?: boolean) => Promise<RunResult>;
  helm: (args: string[], allowFailure?: boolean) => Promise<RunResult>;
}

/** The command lines for `kubeconfig`; fails with the command that installs kubectl when it is missing. */
export function cli(kubeconfig: string): Cli {
  assert.ok(
    existsSync(join(cacheBin, "kubectl")),
    `kubectl is missing from ${cacheBin}: run "npm run setup" (scripts/install-tools.sh)`,
  );
  return {
    kubectl: (args, input, allowFailure = false) =>
      run("kubectl", ["--kubeconfig", kubeconfig, ...args], { input, allowFailure }),
    helm: (args, allowFailure = false) => run("helm", [...args, "--kubeconfig", kubeconfig], { allowFailure }),
  };
}

/** How many objects `kubectl apply --dry-run=server` reported as accepted. */
export function dryRunCount(stdout: string): number {
  return stdout
    .trim()
    .split("\n")
    .filter((l) => l.endsWith("(server dry run)")).length;
}

export interface Container {
  name: string;
  image: string;
  args: string[];
  env: { name: string; value?: string }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext: Record<string, unknown>;
}

export interface PodSpec {
  serviceAccountName: string;
  priorityClassName?: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; configMap?: { name: string; items?: { key: string; path: string }[] } }[];
  topologySpreadConstraints?: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[];
}

export interface Deployment {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

/** The one document of `kind`; fails when there are none or several. */
export function one<T>(docs: Doc[], kind: string): T {
  const found = docs.filter((d) => d.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0] as unknown as T;
}

/** The operator container of the one Deployment. */
export function operator(docs: Doc[]): Container {
  return one<Deployment>(docs, "Deployment").spec.template.spec.containers[0]!;
}

/** The operator container's environment as name → value ("(from field)" for valueFrom). */
export function env(docs: Doc[]): Record<string, string> {
  return Object.fromEntries(operator(docs).env.map((e) => [e.name, e.value ?? "(from field)"]));
}

/** Every document of deploy/*.yaml (kustomization.yaml aside). */
export function deployDocs(): Doc[] {
  const dir = join(repoRoot, "deploy");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .flatMap((f) => parseDocs(readFileSync(join(dir, f), "utf8")));
}

/** A pod with the Deployment's pod spec, for a dry run against Pod Security admission. */
export function podOf(docs: Doc[], name: string, namespace: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: one<Deployment>(docs, "Deployment").spec.template.spec,
  };
}

export interface SchemaNode {
  $schema?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
}

/** Dotted paths (with their nodes) of the schema's closed objects' properties; open, Kubernetes-typed objects end the walk. */
export function schemaPaths(node: SchemaNode, prefix = ""): [string, SchemaNode][] {
  if (node.additionalProperties !== false || !node.properties) return [];
  return Object.entries(node.properties).flatMap(([k, child]): [string, SchemaNode][] => [
    [`${prefix}${k}`, child],
    ...schemaPaths(child, `${prefix}${k}.`),
  ]);
}

/** Dotted paths of values.yaml, descending only where the schema is closed (plus `global`, which only the schema names). */
export function valueKeys(values: Record<string, unknown>, schema: SchemaNode, prefix = ""): string[] {
  const keys = Object.entries(values).flatMap(([k, v]) => {
    const child = schema.properties?.[k];
    const closed = child?.additionalProperties === false && v !== null && typeof v === "object" && !Array.isArray(v);
    return [`${prefix}${k}`, ...(closed ? valueKeys(v as Record<string, unknown>, child, `${prefix}${k}.`) : [])];
  });
  return prefix === "" ? [...keys, "global"] : keys;
}

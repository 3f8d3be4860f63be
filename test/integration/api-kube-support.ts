// Support for the api-* and deploy-* integration tests: raw JSON calls to the test kube-apiserver (admin token,
// explicit content types), CRD installation from crds/, and server-side apply of arbitrary manifests.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "undici";
import { parseAllDocuments } from "yaml";
import { repoRoot, type EnvironmentConnection } from "../env/index.ts";

export type Doc = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
};

export interface KubeAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface Kube {
  call(
    method: string,
    path: string,
    options?: { body?: unknown; contentType?: string; query?: Record<string, string>; accept?: string },
  ): Promise<KubeAnswer>;
  /** Server-side apply (force, field manager `airlift-tests`); dryRun sends dryRun=All. Throws on refusal. */
  apply(doc: Doc, options?: { dryRun?: boolean }): Promise<KubeAnswer>;
  close(): Promise<void>;
}

/** A client for the environment's API server as the admin user. */
export function kubeClient(env: EnvironmentConnection): Kube {
  const agent = new Agent({ connect: { ca: readFileSync(env.kube.caFile) } });
  const call: Kube["call"] = async (method, path, options = {}) => {
    const url = new URL(env.kube.server + path);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const res = await request(url, {
      method: method as "GET",
      dispatcher: agent,
      signal: AbortSignal.timeout(30_000),
      headers: {
        authorization: `Bearer ${env.kube.adminToken}`,
        accept: options.accept ?? "application/json",
        ...(options.body === undefined ? {} : { "content-type": options.contentType ?? "application/json" }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  return {
    call,
    async apply(doc, options = {}) {
      const query: Record<string, string> = { fieldManager: "airlift-tests", force: "true" };
      if (options.dryRun) query.dryRun = "All";
      const answer = await call("PATCH", objectPathOf(doc), {
        body: doc,
        contentType: "application/apply-patch+yaml",
        query,
      });
      if (answer.status >= 300) {
        throw new Error(
          `apply ${doc.kind} ${doc.metadata.namespace ?? ""}/${doc.metadata.name}: ${answer.status} ${String(answer.body.message)}`,
        );
      }
      return answer;
    },
    close: () => agent.close(),
  };
}

// The kinds the manifests under test hold, with their plural and scope (a test fails on any other kind).
const KINDS: Record<string, { plural: string; namespaced: boolean }> = {
  Namespace: { plural: "namespaces", namespaced: false },
  ServiceAccount: { plural: "serviceaccounts", namespaced: true },
  Secret: { plural: "secrets", namespaced: true },
  ConfigMap: { plural: "configmaps", namespaced: true },
  Service: { plural: "services", namespaced: true },
  Pod: { plural: "pods", namespaced: true },
  Deployment: { plural: "deployments", namespaced: true },
  ClusterRole: { plural: "clusterroles", namespaced: false },
  ClusterRoleBinding: { plural: "clusterrolebindings", namespaced: false },
  Role: { plural: "roles", namespaced: true },
  RoleBinding: { plural: "rolebindings", namespaced: true },
  CustomResourceDefinition: { plural: "customresourcedefinitions", namespaced: false },
  ImageImport: { plural: "imageimports", namespaced: true },
  ArtifactPull: { plural: "artifactpulls", namespaced: true },
  OciSync: { plural: "ocisyncs", namespaced: true },
};

/** The URL path of a manifest's object. */
export function objectPathOf(doc: Doc): string {
  const kind = KINDS[doc.kind];
  if (!kind) throw new Error(`no path known for kind ${doc.kind}`);
  const base = doc.apiVersion.includes("/") ? `/apis/${doc.apiVersion}` : `/api/${doc.apiVersion}`;
  if (kind.namespaced && !doc.metadata.namespace) throw new Error(`${doc.kind} ${doc.metadata.name} has no namespace`);
  const ns = kind.namespaced ? `/namespaces/${doc.metadata.namespace}` : "";
  return `${base}${ns}/${kind.plural}/${doc.metadata.name}`;
}

/** Every document of a YAML text (empty documents skipped). */
export function parseDocs(text: string): Doc[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as unknown)
    .filter((d): d is Doc => d !== null && typeof d === "object");
}

/** Applies crds/*.yaml and waits until every CRD is Established (other test files may do the same at once). */
export async function installCrds(kube: Kube): Promise<Doc[]> {
  const dir = join(repoRoot, "crds");
  const crds = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .flatMap((f) => parseDocs(readFileSync(join(dir, f), "utf8")));
  for (const crd of crds) await kube.apply(crd);
  for (const crd of crds) {
    await eventually(`CRD ${crd.metadata.name} Established`, async () => {
      const { body } = await kube.call("GET", objectPathOf(crd));
      const conds = (body.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      return conds.some((c) => c.type === "Established" && c.status === "True");
    });
  }
  return crds;
}

/** Creates a namespace (already existing is fine). */
export async function createNamespace(kube: Kube, name: string): Promise<void> {
  await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

/** Polls `check` every 100 ms until it is true; fails after `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Shared fixture of the site tests: the real `airlift operator` process they run; the Harbor operator's HarborCluster
// kind with its real group and version (goharbor.io/v1beta1; only spec.externalURL matters to airlift), served by the
// test API server; crane's environment for the TLS registry.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HARBOR_CLUSTERS } from "../../src/controllers/site-discovery.ts";
import { missingResources } from "../../src/kube/discovery.ts";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { repoRoot, type EnvironmentConnection } from "../env/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import { waitFor } from "./ocisync-support.ts";

/** What a site test's operator runs with beyond the flags every site test gives it. */
export interface SiteOperatorOptions {
  /** Names the suite log. */
  name: string;
  env: EnvironmentConnection;
  operatorNamespace: string;
  watchNamespace: string;
  /** The flags under test. */
  args: string[];
  /** The process environment (default: this process's). */
  processEnv?: NodeJS.ProcessEnv;
}

/** The real `airlift operator` of a site test, at debug level: its output kept for assertions and teed to the suite log. */
export class SiteOperator {
  readonly proc: ChildProcess;
  #logs = "";

  constructor(o: SiteOperatorOptions) {
    const args = [
      join(repoRoot, "src/cli/main.ts"),
      "operator",
      ...["--kubeconfig", o.env.kube.kubeconfigPath, "--namespace", o.operatorNamespace],
      ...["--watch-namespace", o.watchNamespace, "--metrics-addr", "0", "--health-addr", "0", "--log-level", "debug"],
      ...o.args,
    ];
    this.proc = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: o.processEnv });
    this.proc.stdout?.on("data", (c: Buffer) => (this.#logs += c.toString()));
    this.proc.stderr?.on("data", (c: Buffer) => (this.#logs += c.toString()));
    teeToSuiteLog(o.name, this.proc.stdout, this.proc.stderr);
  }

  /** Everything the operator printed so far. */
  get logs(): string {
    return this.#logs;
  }

  /** SIGTERM, then waits for the exit (at once when it has already exited). */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    await exited;
  }
}

/** DOCKER_CONFIG with the TLS registry's basic auth and SSL_CERT_FILE with its CA, for crane. */
export function tlsCraneEnv(env: EnvironmentConnection): Record<string, string> {
  const tls = env.registries["basic-tls"];
  const dir = mkdtempSync(join(tmpdir(), "airlift-site-docker-"));
  const auth = Buffer.from(`${tls.username}:${tls.password}`).toString("base64");
  writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: { [tls.host]: { auth } } }));
  return { DOCKER_CONFIG: dir, SSL_CERT_FILE: tls.caFile ?? "" };
}

/** Applies the HarborCluster CRD (server-side, as `fieldManager`) and waits until the kind is served. */
export async function applyHarborClusterCrd(admin: KubeClient, fieldManager: string): Promise<void> {
  await admin.request("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/harborclusters.goharbor.io", {
    method: "PATCH",
    patchType: "apply",
    query: { fieldManager, force: true },
    body: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "harborclusters.goharbor.io" },
      spec: {
        group: "goharbor.io",
        scope: "Namespaced",
        names: {
          plural: "harborclusters",
          singular: "harborcluster",
          kind: "HarborCluster",
          listKind: "HarborClusterList",
        },
        versions: [
          {
            name: "v1beta1",
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        ],
      },
    },
  });
  await waitFor(
    "HarborCluster served",
    async () => ((await missingResources(admin, [HARBOR_CLUSTERS])).length === 0 ? true : undefined),
    30_000,
  );
}

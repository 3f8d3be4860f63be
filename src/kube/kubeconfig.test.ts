import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadKubeConfig } from "./kubeconfig.ts";

const dir = mkdtempSync(join(tmpdir(), "airlift-kubeconfig-"));

function file(name: string, doc: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ apiVersion: "v1", kind: "Config", ...doc }));
  return path;
}

const cluster = (name: string, server: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  cluster: { server, ...extra },
});
const user = (name: string, token: string): Record<string, unknown> => ({ name, user: { token } });
const context = (name: string, c: string, u: string, namespace?: string): Record<string, unknown> => ({
  name,
  context: { cluster: c, user: u, namespace },
});

describe("kubeconfig loading, as kubectl does it", () => {
  const contexts = file("contexts", {
    contexts: [context("dev", "dev", "dev", "team-a"), context("prod", "prod", "prod")],
    "current-context": "dev",
  });
  const credentials = file("credentials", {
    clusters: [
      cluster("dev", "https://dev.example:6443", { "certificate-authority": "ca.pem" }),
      cluster("prod", "https://prod.example:6443"),
    ],
    users: [user("dev", "dev-token"), user("prod", "prod-token")],
    contexts: [context("dev", "prod", "prod")],
    "current-context": "prod",
  });

  it("merges a KUBECONFIG list: the first file to set a name or the current context wins; missing files are skipped", () => {
    const got = loadKubeConfig({ env: { KUBECONFIG: [join(dir, "absent"), contexts, credentials].join(":") } });
    assert.equal(got.context, "dev");
    assert.equal(got.namespace, "team-a");
    assert.equal(got.kubeConfig.getCurrentCluster()?.server, "https://dev.example:6443");
    assert.equal(got.kubeConfig.getCurrentUser()?.token, "dev-token");
    assert.deepEqual(got.sources, [contexts, credentials]);
    // A relative certificate path is relative to the file that names it.
    assert.equal(got.kubeConfig.getCurrentCluster()?.caFile, join(dir, "ca.pem"));
  });

  it("takes --context over the current context, the namespace defaulting to default", () => {
    const got = loadKubeConfig({ context: "prod", env: { KUBECONFIG: `${contexts}:${credentials}` } });
    assert.equal(got.context, "prod");
    assert.equal(got.namespace, "default");
    assert.equal(got.kubeConfig.getCurrentCluster()?.server, "https://prod.example:6443");
  });

  it("reads ~/.kube/config when KUBECONFIG is unset, and only --kubeconfig when it is given", () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".kube"), { recursive: true });
    writeFileSync(
      join(home, ".kube", "config"),
      JSON.stringify({
        clusters: [cluster("h", "https://home:6443")],
        users: [user("h", "t")],
        contexts: [context("h", "h", "h", "ops")],
        "current-context": "h",
      }),
    );
    assert.equal(loadKubeConfig({ env: { HOME: home } }).kubeConfig.getCurrentCluster()?.server, "https://home:6443");
    // In `credentials` alone, context dev points at cluster prod.
    assert.equal(
      loadKubeConfig({ context: "dev", env: { HOME: home, KUBECONFIG: credentials } }).kubeConfig.getCurrentCluster()
        ?.server,
      "https://prod.example:6443",
    );
    assert.equal(
      loadKubeConfig({
        kubeconfig: credentials,
        context: "dev",
        env: { HOME: home, KUBECONFIG: contexts },
      }).kubeConfig.getCurrentCluster()?.server,
      "https://prod.example:6443",
    );
  });

  it("says what to fix when nothing usable is found", () => {
    assert.throws(() => loadKubeConfig({ env: { HOME: join(dir, "nobody") } }), {
      code: "NO_KUBECONFIG",
      message: /no Kubernetes configuration found .*create ~\/\.kube\/config/,
    });
    assert.throws(() => loadKubeConfig({ kubeconfig: join(dir, "absent"), env: {} }), {
      code: "KUBECONFIG_UNREADABLE",
      message: /cannot read kubeconfig .*absent: no such file/,
    });
    assert.throws(() => loadKubeConfig({ context: "qa", env: { KUBECONFIG: `${contexts}:${credentials}` } }), {
      code: "CONTEXT_NOT_FOUND",
      message: /context "qa" is not in the kubeconfig .*contexts: dev, prod/,
    });
    assert.throws(() => loadKubeConfig({ env: { KUBECONFIG: contexts } }), {
      code: "CONTEXT_INCOMPLETE",
      message: /names cluster "dev", which is not in the kubeconfig/,
    });
    const noCurrent = file("no-current", {
      clusters: [cluster("c", "https://c")],
      users: [user("u", "t")],
      contexts: [context("c", "c", "u")],
    });
    assert.throws(() => loadKubeConfig({ env: { KUBECONFIG: noCurrent } }), {
      code: "NO_CONTEXT",
      message: /has no current-context: pass --context/,
    });
    writeFileSync(join(dir, "broken"), "clusters: [ {");
    assert.throws(() => loadKubeConfig({ kubeconfig: join(dir, "broken"), env: {} }), { code: "KUBECONFIG_INVALID" });
  });

  it("falls back to the in-cluster ServiceAccount last", () => {
    const root = join(dir, "pod");
    const sa = join(root, "var/run/secrets/kubernetes.io/serviceaccount");
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "token"), "pod-token");
    writeFileSync(join(sa, "namespace"), "airlift-system\n");
    const env = { HOME: join(dir, "nobody"), KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
    // client-node reads the service host and port from process.env itself.
    Object.assign(process.env, {
      KUBERNETES_SERVICE_HOST: env.KUBERNETES_SERVICE_HOST,
      KUBERNETES_SERVICE_PORT: env.KUBERNETES_SERVICE_PORT,
    });
    try {
      const got = loadKubeConfig({ env, rootDir: root });
      assert.equal(got.kubeConfig.getCurrentCluster()?.server, "https://10.96.0.1:443");
      assert.equal(got.namespace, "airlift-system");
      assert.deepEqual(got.sources, ["in-cluster"]);
    } finally {
      delete process.env.KUBERNETES_SERVICE_HOST;
      delete process.env.KUBERNETES_SERVICE_PORT;
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KubeConfigError, kubeConfigFromText } from "./kubeconfig.ts";

/** A kubeconfig document with one cluster, one user and one current context. */
function doc(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "admin", cluster: { server: "https://10.0.0.1:6443", ...cluster } }],
    users: [{ name: "root", user }],
    contexts: [{ name: "admin", context: { cluster: "admin", user: "root", namespace: "harbor-system" } }],
    "current-context": "admin",
  });
}

const SOURCE = "Secret airlift-system/admin-kubeconfig (key value)";

describe("a kubeconfig held in a Secret", () => {
  it("is taken at its current context when self-contained", () => {
    const loaded = kubeConfigFromText(doc({ token: "t" }, { "certificate-authority-data": "Zm9v" }), SOURCE);
    assert.equal(loaded.context, "admin");
    assert.equal(loaded.namespace, "harbor-system");
    assert.equal(loaded.kubeConfig.getCurrentCluster()?.server, "https://10.0.0.1:6443");
    assert.deepEqual(loaded.sources, [SOURCE]);
  });

  it("refuses plugins and local files before reading any, naming each and the Secret", () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, RegExp][] = [
      [{ exec: { command: "gdcloud", apiVersion: "client.authentication.k8s.io/v1" } }, {}, /users\[root\]\.exec/],
      [{ "auth-provider": { name: "oidc" } }, {}, /users\[root\]\.auth-provider/],
      [{ "token-file": "/var/run/secrets/kubernetes.io/serviceaccount/token" }, {}, /users\[root\]\.token-file/],
      [{ "client-certificate": "/etc/c.crt", "client-key": "/etc/c.key" }, {}, /client-certificate, .*client-key/],
      [{ token: "t" }, { "certificate-authority": "/etc/ca.crt" }, /clusters\[admin\]\.certificate-authority/],
    ];
    for (const [user, cluster, named] of cases) {
      assert.throws(
        () => kubeConfigFromText(doc(user, cluster), SOURCE),
        (err: unknown) =>
          err instanceof KubeConfigError &&
          err.code === "KUBECONFIG_INVALID" &&
          named.test(err.message) &&
          err.message.includes(SOURCE),
      );
    }
  });

  it("says what is wrong with text that is no kubeconfig or has no context", () => {
    assert.throws(() => kubeConfigFromText("clusters: [", SOURCE), /invalid kubeconfig in Secret/);
    const noContext = JSON.stringify({ apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] });
    assert.throws(() => kubeConfigFromText(noContext, SOURCE), { code: "NO_CONTEXT" });
  });
});

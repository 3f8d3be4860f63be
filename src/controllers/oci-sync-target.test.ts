import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StallingError } from "../kube/errors.ts";
import { parseKubeconfig } from "./oci-sync-target.ts";

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "c", cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": CA, ...cluster } },
    ],
    users: [{ name: "u", user }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    "current-context": "x",
  });
}

function refused(text: string): string {
  try {
    parseKubeconfig(text, "Secret ns/kc");
  } catch (err) {
    assert.ok(err instanceof StallingError);
    assert.equal(err.reason, "InvalidKubeConfig");
    return err.message;
  }
  assert.fail("accepted");
}

describe("spec.kubeConfig: which kubeconfigs the operator uses", () => {
  it("takes a token or an inline client certificate, keeping the current context only", () => {
    const kc = parseKubeconfig(kubeconfig({ token: "t" }), "Secret ns/kc");
    assert.equal(kc.getCurrentCluster()?.server, "https://10.0.0.1:6443");
    assert.equal(kc.getCurrentUser()?.token, "t");
    assert.equal(kc.contexts.length, 1);
    const cert = parseKubeconfig(kubeconfig({ "client-certificate-data": CA, "client-key-data": CA }), "Secret ns/kc");
    assert.equal(cert.getCurrentUser()?.certData, CA);
  });

  it("refuses plugins, files, basic auth, no credentials, insecure TLS and plain http, saying which", () => {
    assert.match(
      refused(kubeconfig({ exec: { command: "aws", apiVersion: "client.authentication.k8s.io/v1" } })),
      /exec credential plugin/,
    );
    assert.match(refused(kubeconfig({ "auth-provider": { name: "gcp" } })), /auth-provider/);
    assert.match(
      refused(kubeconfig({ "client-certificate": "/etc/c.crt", "client-key": "/etc/c.key" })),
      /files of the operator's filesystem/,
    );
    assert.match(refused(kubeconfig({ username: "a", password: "b" })), /basic auth/);
    assert.match(refused(kubeconfig({})), /neither a token nor client-certificate-data/);
    assert.match(refused(kubeconfig({ token: "t" }, { "insecure-skip-tls-verify": true })), /insecure-skip-tls-verify/);
    assert.match(refused(kubeconfig({ token: "t" }, { server: "http://10.0.0.1:8080" })), /is not https/);
    assert.match(refused("{not yaml: ["), /does not parse/);
    assert.match(
      refused(JSON.stringify({ apiVersion: "v1", kind: "Config", "current-context": "none" })),
      /current-context/,
    );
  });

  it("never puts the token in a message", () => {
    const message = refused(kubeconfig({ token: "s3cr3t-token" }, { "insecure-skip-tls-verify": true }));
    assert.doesNotMatch(message, /s3cr3t/);
  });
});

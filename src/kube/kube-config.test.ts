import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { KubeConfig, type HttpsOptions } from "./kube-config.ts";

const dir = mkdtempSync(join(tmpdir(), "airlift-kube-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string): string => Buffer.from(s).toString("base64");

function yamlConfig(user: string, cluster = "    server: https://api.example:6443/\n"): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: c",
    "  cluster:",
    cluster.trimEnd(),
    "users:",
    "- name: u",
    "  user:",
    user.trimEnd(),
    "contexts:",
    "- name: ctx",
    "  context: {cluster: c, user: u, namespace: team-a}",
    "current-context: ctx",
    "",
  ].join("\n");
}

async function options(kc: KubeConfig): Promise<HttpsOptions> {
  const opts: HttpsOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return opts;
}

describe("KubeConfig parsing", () => {
  it("maps kebab-case keys to the entries' fields and finds the current context's cluster and user", () => {
    const kc = new KubeConfig();
    kc.loadFromString(
      yamlConfig(
        "    token: abc\n    as: someone\n",
        `    server: https://api.example:6443/\n    certificate-authority-data: ${b64("CA")}\n    insecure-skip-tls-verify: true\n    tls-server-name: api.internal\n    proxy-url: http://proxy:3128\n`,
      ),
    );
    assert.equal(kc.currentContext, "ctx");
    assert.deepEqual(kc.getContextObject("ctx"), { name: "ctx", cluster: "c", user: "u", namespace: "team-a" });
    const cluster = kc.getCurrentCluster();
    assert.equal(cluster?.server, "https://api.example:6443");
    assert.equal(cluster?.caData, b64("CA"));
    assert.equal(cluster?.skipTLSVerify, true);
    assert.equal(cluster?.tlsServerName, "api.internal");
    assert.equal(cluster?.proxyUrl, "http://proxy:3128");
    assert.equal(kc.getCurrentUser()?.token, "abc");
    assert.equal(kc.getCurrentUser()?.impersonateUser, "someone");
    assert.equal(kc.getUser("nobody"), null);
    kc.setCurrentContext("other");
    assert.equal(kc.getCurrentCluster(), null);
  });

  it("refuses entries without a name or a cluster without a server", () => {
    assert.throws(
      () => new KubeConfig().loadFromString("clusters:\n- cluster: {server: https://x}\n"),
      /clusters\[0\]\.name/,
    );
    assert.throws(() => new KubeConfig().loadFromString("clusters:\n- name: c\n  cluster: {}\n"), /server is missing/);
    assert.throws(() => new KubeConfig().loadFromString("- a\n- b\n"), /not a mapping/);
  });

  it("resolves relative file paths against the kubeconfig's folder in loadFromFile", () => {
    const sub = join(dir, "rel");
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, "ca.pem"), "CA-FROM-FILE");
    writeFileSync(join(sub, "tok"), "file-token\n");
    const path = join(sub, "config");
    writeFileSync(
      path,
      yamlConfig(
        "    token-file: tok\n    client-certificate: /abs/cert.pem\n",
        "    server: https://api.example\n    certificate-authority: ca.pem\n",
      ),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    assert.equal(kc.getCurrentCluster()?.caFile, join(sub, "ca.pem"));
    assert.equal(kc.getCurrentUser()?.tokenFile, join(sub, "tok"));
    assert.equal(kc.getCurrentUser()?.certFile, "/abs/cert.pem");
  });
});

describe("KubeConfig.applyToHTTPSOptions", () => {
  it("fills CA, client certificate and key from data, and SNI and skip-verify from the cluster", async () => {
    const kc = new KubeConfig();
    kc.loadFromString(
      yamlConfig(
        `    client-certificate-data: ${b64("CERT")}\n    client-key-data: ${b64("KEY")}\n`,
        `    server: https://api.example\n    certificate-authority-data: ${b64("CA")}\n    insecure-skip-tls-verify: true\n    tls-server-name: api.internal\n`,
      ),
    );
    const opts = await options(kc);
    assert.equal(opts.ca?.toString(), "CA");
    assert.equal(opts.cert?.toString(), "CERT");
    assert.equal(opts.key?.toString(), "KEY");
    assert.equal(opts.rejectUnauthorized, false);
    assert.equal(opts.servername, "api.internal");
    assert.equal(opts.headers, undefined);
  });

  it("keeps TLS verification on unless the kubeconfig turns it off", async () => {
    const kc = new KubeConfig();
    kc.loadFromString(yamlConfig("    token: t\n"));
    const opts = await options(kc);
    assert.equal(opts.rejectUnauthorized, undefined);
    assert.deepEqual(opts.headers, { Authorization: "Bearer t" });
  });

  it("reads the token file afresh each time and files for CA, certificate and key", async () => {
    const sub = join(dir, "files");
    mkdirSync(sub, { recursive: true });
    for (const [f, v] of [
      ["ca", "FILE-CA"],
      ["cert", "FILE-CERT"],
      ["key", "FILE-KEY"],
      ["token", "one\n"],
    ])
      writeFileSync(join(sub, f as string), v as string);
    const path = join(sub, "config");
    writeFileSync(
      path,
      yamlConfig(
        "    token-file: token\n    client-certificate: cert\n    client-key: key\n",
        "    server: https://a\n    certificate-authority: ca\n",
      ),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    const first = await options(kc);
    assert.equal(first.ca?.toString(), "FILE-CA");
    assert.equal(first.cert?.toString(), "FILE-CERT");
    assert.equal(first.key?.toString(), "FILE-KEY");
    assert.deepEqual(first.headers, { Authorization: "Bearer one" });
    writeFileSync(join(sub, "token"), "two");
    assert.deepEqual((await options(kc)).headers, { Authorization: "Bearer two" });
  });

  it("sends basic auth as user:password and impersonation as a header", async () => {
    const kc = new KubeConfig();
    kc.loadFromString(yamlConfig("    username: alice\n    password: s3cret\n    as: bob\n"));
    const opts = await options(kc);
    assert.equal(opts.auth, "alice:s3cret");
    assert.deepEqual(opts.headers, { "Impersonate-User": "bob" });
  });

  it("refuses a legacy auth-provider, pointing to exec plugins", async () => {
    const kc = new KubeConfig();
    kc.loadFromString(yamlConfig("    auth-provider:\n      name: gcp\n"));
    await assert.rejects(options(kc), (err: Error & { code?: string }) => {
      assert.equal(err.code, "AUTH_PROVIDER_UNSUPPORTED");
      assert.match(err.message, /"gcp".*exec credential plugin/);
      return true;
    });
  });
});

describe("KubeConfig.loadFromCluster", () => {
  const root = join(dir, "pod");
  const sa = join(root, "var/run/secrets/kubernetes.io/serviceaccount");
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, "ca.crt"), "POD-CA");
  writeFileSync(join(sa, "token"), "sa-token-1\n");

  it("uses the service host and port, the ServiceAccount CA and its token file, re-read", async () => {
    const kc = new KubeConfig();
    kc.loadFromCluster(root, { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" });
    assert.equal(kc.currentContext, "inClusterContext");
    assert.equal(kc.getCurrentCluster()?.server, "https://10.0.0.1:443");
    const opts = await options(kc);
    assert.equal(opts.ca?.toString(), "POD-CA");
    assert.deepEqual(opts.headers, { Authorization: "Bearer sa-token-1" });
    writeFileSync(join(sa, "token"), "sa-token-2\n");
    assert.deepEqual((await options(kc)).headers, { Authorization: "Bearer sa-token-2" });
  });

  it("brackets an IPv6 service host", () => {
    const kc = new KubeConfig();
    kc.loadFromCluster(root, { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443" });
    assert.equal(kc.getCurrentCluster()?.server, "https://[fd00::1]:6443");
  });
});

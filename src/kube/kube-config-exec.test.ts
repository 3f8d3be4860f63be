import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { KubeConfig, type HttpsOptions } from "./kube-config.ts";

const dir = mkdtempSync(join(tmpdir(), "airlift-kube-exec-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A plugin script: appends a line to `calls` per run (args, PLUGIN_MODE and KUBERNETES_EXEC_INFO) and prints the
 * ExecCredential in the file `answer` (so a test changes what the next run says).
 */
function plugin(name: string): { path: string; calls: string; answer: string } {
  const path = join(dir, name);
  const calls = join(dir, `${name}.calls`);
  const answer = join(dir, `${name}.answer`);
  writeFileSync(
    path,
    [
      "#!/bin/sh",
      `printf '%s|%s|%s\\n' "$*" "$PLUGIN_MODE" "$KUBERNETES_EXEC_INFO" >> '${calls}'`,
      'if [ "$PLUGIN_MODE" = fail ]; then echo "login required: run gcloud auth login" >&2; exit 3; fi',
      `cat '${answer}'`,
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o755);
  writeFileSync(calls, "");
  return { path, calls, answer };
}

function config(command: string, apiVersion: string, mode = "ok", provideClusterInfo = false): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(
    JSON.stringify({
      clusters: [{ name: "c", cluster: { server: "https://api.example:6443" } }],
      users: [
        {
          name: "u",
          user: {
            exec: {
              apiVersion,
              command,
              args: ["get-token", "--cluster=c"],
              env: [{ name: "PLUGIN_MODE", value: mode }],
              provideClusterInfo,
            },
          },
        },
      ],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  return kc;
}

async function apply(kc: KubeConfig): Promise<HttpsOptions> {
  const opts: HttpsOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return opts;
}

const calls = (file: string): string[] => readFileSync(file, "utf8").split("\n").filter(Boolean);

describe("exec credential plugins", () => {
  it("runs the command with its args, env and KUBERNETES_EXEC_INFO, and keeps the token until it expires", async () => {
    const p = plugin("token-plugin");
    const v1 = "client.authentication.k8s.io/v1";
    const credential = (token: string, expires: Date): string =>
      JSON.stringify({
        apiVersion: v1,
        kind: "ExecCredential",
        status: { token, expirationTimestamp: expires.toISOString() },
      });
    writeFileSync(p.answer, credential("tok-1", new Date(Date.now() + 3_600_000)));
    const kc = config(p.path, v1, "ok", true);
    assert.deepEqual((await apply(kc)).headers, { Authorization: "Bearer tok-1" });
    assert.deepEqual((await apply(kc)).headers, { Authorization: "Bearer tok-1" });
    const [first, ...rest] = calls(p.calls);
    assert.equal(rest.length, 0, "a credential that has not expired is reused");
    const [args, mode, info] = (first ?? "").split("|");
    assert.equal(args, "get-token --cluster=c");
    assert.equal(mode, "ok");
    const execInfo = JSON.parse(info ?? "") as {
      apiVersion: string;
      kind: string;
      spec: { interactive: boolean; cluster?: { server: string } };
    };
    assert.equal(execInfo.apiVersion, v1);
    assert.equal(execInfo.kind, "ExecCredential");
    assert.equal(execInfo.spec.interactive, false);
    assert.equal(execInfo.spec.cluster?.server, "https://api.example:6443");

    const p2 = plugin("expiring-plugin");
    writeFileSync(p2.answer, credential("old", new Date(Date.now() - 1000)));
    const expiring = config(p2.path, v1);
    assert.deepEqual((await apply(expiring)).headers, { Authorization: "Bearer old" });
    writeFileSync(p2.answer, credential("new", new Date(Date.now() + 3_600_000)));
    assert.deepEqual((await apply(expiring)).headers, { Authorization: "Bearer new" });
    assert.equal(calls(p2.calls).length, 2, "an expired credential is fetched again");
  });

  it("takes a client certificate and key from a v1beta1 plugin", async () => {
    const p = plugin("cert-plugin");
    const v1beta1 = "client.authentication.k8s.io/v1beta1";
    writeFileSync(
      p.answer,
      JSON.stringify({
        apiVersion: v1beta1,
        kind: "ExecCredential",
        status: { clientCertificateData: "PEM-CERT", clientKeyData: "PEM-KEY" },
      }),
    );
    const opts = await apply(config(p.path, v1beta1));
    assert.equal(opts.cert?.toString(), "PEM-CERT");
    assert.equal(opts.key?.toString(), "PEM-KEY");
    assert.equal(opts.headers, undefined);
  });

  it("says which command failed and why, and does not cache the failure", async () => {
    const p = plugin("failing-plugin");
    const v1 = "client.authentication.k8s.io/v1";
    const kc = config(p.path, v1, "fail");
    const failed = (err: Error & { code?: string }): boolean => {
      assert.equal(err.code, "CREDENTIAL_PLUGIN_FAILED");
      assert.ok(err.message.includes(p.path), err.message);
      assert.match(err.message, /login required: run gcloud auth login/);
      return true;
    };
    await assert.rejects(apply(kc), failed);
    await assert.rejects(apply(kc), failed);
    assert.equal(calls(p.calls).length, 2);

    const missing = join(dir, "no-such-plugin");
    await assert.rejects(apply(config(missing, v1)), (err: Error & { code?: string }) => {
      assert.equal(err.code, "CREDENTIAL_PLUGIN_FAILED");
      assert.ok(err.message.includes(missing), err.message);
      assert.match(err.message, /not found/);
      return true;
    });
  });

  it("refuses an answer without a credential or of another apiVersion", async () => {
    const p = plugin("empty-plugin");
    const v1 = "client.authentication.k8s.io/v1";
    writeFileSync(p.answer, JSON.stringify({ apiVersion: v1, kind: "ExecCredential", status: {} }));
    await assert.rejects(apply(config(p.path, v1)), /gave neither status\.token/);
    writeFileSync(
      p.answer,
      JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1beta1", status: { token: "t" } }),
    );
    await assert.rejects(apply(config(p.path, v1)), /answered apiVersion client\.authentication\.k8s\.io\/v1beta1/);
    await assert.rejects(apply(config(p.path, "client.authentication.k8s.io/v1alpha1")), /use client\.authentication/);
  });
});

// `airlift reconcile --wait`, `suspend` and `resume` (issue 16) against the real API server and a real registry,
// with the OciSync controller running: a new push under the tag is picked up at once by `reconcile` though the
// period is an hour, the acknowledgement (status.lastHandledReconcileAt) carries the request's value, and a
// suspended OciSync neither polls nor accepts a reconcile until resumed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot } from "../env/index.ts";
import { suiteLog } from "../env/suite-logs.ts";
import { adminUser, context, testCluster, writeKubeconfig, type CliRun } from "./cli-support.ts";
import {
  createOciSync,
  getOciSync,
  pushWithCrane,
  startOperator,
  unique,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const ns = unique("cli-rec");
let op: TestOperator;
let kubeconfig: string;

/** Runs `airlift args` as a child without blocking this process (the operator runs in it). */
function airliftAsync(args: string[]): Promise<CliRun & { ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(repoRoot, "src/cli/main.ts"), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), "airlift-home-")) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      suiteLog("cli").end(`$ airlift ${args.join(" ")}\n${stdout}${stderr}`);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    }),
  );
}

const files = (value: string): Record<string, string> => ({
  "cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rec-cm\n  namespace: ${ns}\ndata:\n  value: "${value}"\n`,
});

describe("airlift reconcile / suspend / resume", () => {
  before(async () => {
    op = await startOperator(ns, ns);
    const dir = mkdtempSync(join(tmpdir(), "airlift-rec-kc-"));
    // A context that is not the current one: --context must pick it.
    kubeconfig = writeKubeconfig(join(dir, "config"), {
      clusters: [testCluster(op.env, "test"), { name: "nowhere", cluster: { server: "https://127.0.0.1:1" } }],
      users: [adminUser(op.env, "admin")],
      contexts: [context("wrong", "nowhere", "admin"), context("right", "test", "admin", ns)],
      currentContext: "wrong",
    });
  });
  after(async () => op.stop());

  it("reconcile --wait picks up a new push at once and returns after the acknowledgement with the new digest", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("config/rec")}/app:v1`;
    const first = await pushWithCrane(ref, files("one"));
    await createOciSync(op.admin, ns, "rec", { oci: { image: ref, period: "1h", plainHTTP: true } });
    const synced = await waitReady(op.admin, ns, "rec", "True/Succeeded");
    assert.equal(synced.status?.source?.digest, first);
    const second = await pushWithCrane(ref, files("two"));
    assert.notEqual(second, first);
    const res = await airliftAsync([
      "reconcile",
      "ocisync",
      "rec",
      "--wait",
      "--kubeconfig",
      kubeconfig,
      "--context",
      "right",
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`reconciled ocisync ${ns}/rec at ${second}`));
    assert.match(res.stdout, /Ready=True Succeeded/);
    const after = await getOciSync(op.admin, ns, "rec");
    const requested = after.metadata.annotations?.["airlift.dev/reconcile-requested-at"];
    assert.ok(requested);
    assert.equal(after.status?.lastHandledReconcileAt, requested);
    assert.equal(after.status?.source?.digest, second);
    const cm = await op.admin.request<{ data: { value: string } }>(`/api/v1/namespaces/${ns}/configmaps/rec-cm`);
    assert.equal(cm.data.value, "two");
    suiteLog("cli").end(`reconcile --wait latency: ${res.ms} ms\n`);
    process.stderr.write(`# reconcile --wait (new digest) took ${res.ms} ms\n`);
  });

  it("Flux's requestedAt annotation is acknowledged too", async () => {
    const value = `flux-${Date.now()}`;
    await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/rec`, {
      method: "PATCH",
      patchType: "merge",
      body: {
        metadata: {
          annotations: { "airlift.dev/reconcile-requested-at": null, "reconcile.fluxcd.io/requestedAt": value },
        },
      },
    });
    const deadline = Date.now() + 30_000;
    let handled: string | undefined;
    while (Date.now() < deadline && handled !== value) {
      handled = (await getOciSync(op.admin, ns, "rec")).status?.lastHandledReconcileAt;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(handled, value);
  });

  it("suspend stops polling and refuses reconcile; resume picks up the push made meanwhile", async () => {
    const flags = ["-n", ns, "--kubeconfig", kubeconfig, "--context", "right"];
    const sus = await airliftAsync(["suspend", "os", "rec", ...flags]);
    assert.equal(sus.code, 0, sus.stderr);
    const suspended = await waitReady(op.admin, ns, "rec", "False/Suspended");
    assert.equal(suspended.spec.suspend, true);
    const ref = suspended.spec.oci.image;
    const third = await pushWithCrane(ref, files("three"));
    const refused = await airliftAsync(["reconcile", "ocisync", "rec", "--wait", ...flags]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is suspended: run `airlift resume ocisync rec` first/);
    assert.notEqual((await getOciSync(op.admin, ns, "rec")).status?.source?.digest, third);
    const res = await airliftAsync(["resume", "ocisync", "rec", ...flags]);
    assert.equal(res.code, 0, res.stderr);
    const resumed = await waitReady(op.admin, ns, "rec", "True/Succeeded", 30_000);
    assert.equal(resumed.spec.suspend, false);
    assert.equal(resumed.status?.source?.digest, third);
  });

  it("an unknown object is one line, exit 1; an unknown kind is a usage error", async () => {
    const missing = await airliftAsync([
      "reconcile",
      "ocisync",
      "nope",
      "-n",
      ns,
      "--kubeconfig",
      kubeconfig,
      "--context",
      "right",
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`ocisync ${ns}/nope not found`));
    const bad = await airliftAsync(["suspend", "deployment", "x", "--kubeconfig", kubeconfig, "--context", "right"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown kind "deployment"/);
  });
});

// SIGKILL of the real operator in the middle of an import: a new operator process completes it, and no blob that the
// registry had committed before the kill is uploaded again (counted by a proxy in front of the registry).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { generateDockerArchive } from "../../bench/generate-archive.ts";
import { putFile } from "../../bench/peers.ts";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { repoRoot, run, s3Client, type EnvironmentConnection } from "../env/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import { committedBlob, startCountingProxy, type CountingProxy } from "./counting-proxy.ts";
import { adminOnTestEnv, namespaceWithS3Keys, unique, waitFor } from "./ocisync-support.ts";

const ns = unique("kill");
const work = mkdtempSync(join(tmpdir(), "airlift-kill-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let proxy: CountingProxy;
/** `repo@digest` of uploads the registry committed (final PUT answered 201), with how many times. */
const committed = new Map<string, number>();

function startOperator(): ChildProcess {
  const proc = spawn(
    process.execPath,
    [
      join(repoRoot, "src/cli/main.ts"),
      "operator",
      "--kubeconfig",
      env.kube.kubeconfigPath,
      "--namespace",
      ns,
      "--watch-namespace",
      ns,
      "--metrics-addr",
      "0",
      "--health-addr",
      "0",
      "--log-level",
      "debug",
      "--allow-loopback-endpoints",
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  teeToSuiteLog("faults-restart", proc.stdout, proc.stderr);
  return proc;
}

before(async () => {
  ({ env, admin } = await adminOnTestEnv());
  await namespaceWithS3Keys(admin, ns, env.minio);
  const s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: "kill" }));
  await generateDockerArchive(join(work, "app.tar"), 192 << 20, 6, "kill/app:v1");
  await putFile(s3, "kill", "g/app.tar", join(work, "app.tar"));
  s3.destroy();
  proxy = await startCountingProxy(env.registries.anonymous.url, (req, status) => {
    const blob = committedBlob(req, status);
    if (blob) committed.set(blob, (committed.get(blob) ?? 0) + 1);
  });
});

after(async () => {
  await proxy.close();
  await admin.close();
});

describe("operator killed mid-import", () => {
  it("a new operator completes the import without re-uploading committed blobs", async () => {
    let operator = startOperator();
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ImageImport",
        metadata: { name: "big" },
        spec: {
          source: {
            s3: {
              endpoint: env.minio.endpoint,
              bucket: "kill",
              key: "g/app.tar",
              credentialsSecretRef: { name: "keys" },
            },
          },
          destination: { registry: proxy.host, plainHTTP: true, repository: "kill/app", tags: ["v1"] },
          concurrency: 1,
        },
      },
    });
    // Kill once at least one layer is committed and the import is still running.
    await waitFor("a committed layer", async () => (committed.size >= 1 ? true : undefined), 60_000);
    operator.kill("SIGKILL");
    await new Promise((r) => operator.once("exit", r));
    const before = new Map(committed);
    operator = startOperator();
    try {
      await waitFor(
        "Ready",
        async () => {
          const o = await admin.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
            `/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports/big`,
          );
          return o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? true : undefined;
        },
        120_000,
      );
    } finally {
      operator.kill("SIGTERM");
      await new Promise((r) => operator.once("exit", r));
    }
    assert.ok(before.size >= 1 && before.size < 7, `committed before the kill: ${before.size}`);
    for (const [digest, count] of committed) assert.equal(count, 1, `${digest} was committed ${count} times`);
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://${env.registries.anonymous.host}/kill/app:v1`,
      `dir:${mkdtempSync(join(work, "pulled-"))}`,
    ]);
  });
});

// API server restarts on a control plane of this file's own: watches recover and catch up, and a leader that
// cannot renew its lease past the deadline exits non-zero instead of risking a second leader.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { LEASES, objectPath, type ResourceType } from "../../src/kube/resource.ts";
import { repoRoot, startKube, type EnvironmentConnection, type KubeEnv } from "../env/index.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import {
  RecordingReconciler,
  createNamespace,
  createWidget,
  eventually,
  installWidgetCrd,
  testManager,
  unique,
  widgetController,
} from "./kube-support.ts";

let kube: KubeEnv;
let client: KubeClient;
let type: ResourceType;

before(async () => {
  kube = await startKube(mkdtempSync(join(tmpdir(), "airlift-kube-restart-")));
  client = new KubeClient(kube.kubeConfig());
  type = await installWidgetCrd(client, "restart.kubetest.airlift.dev");
  // The operator's controllers watch airlift's kinds: their CRDs must be served before it starts.
  await installCrds(kubeClient({ kube } as unknown as EnvironmentConnection));
});

after(async () => {
  await client.close();
  await kube.stop();
});

describe("API server restarts", () => {
  it("watches recover after the API server restarts, and objects created meanwhile are reconciled", async () => {
    const ns = unique("restart");
    await createNamespace(client, ns);
    const rec = new RecordingReconciler("m");
    const { manager, logs } = testManager(kube.kubeConfig(), { namespace: ns, watchNamespace: ns });
    manager.add(widgetController(type, rec));
    await manager.start();
    try {
      await createWidget(client, type, ns, "before");
      await eventually("before reconciled", () => rec.callsFor(`${ns}/before`).length === 1);

      await kube.stopApiServer();
      // The informer notices and retries with backoff while the server is down.
      await eventually(
        "a failed watch/list is logged",
        () => logs.lines.some((l) => l.msg === "watch failed; retrying"),
        30_000,
      );
      await kube.startApiServer();
      // Created before the informer's next attempt: it must come in through the re-watch (or re-list).
      await createWidget(client, type, ns, "during");
      await eventually("during reconciled", () => rec.callsFor(`${ns}/during`).length === 1, 60_000);
      await client.request(objectPath(type, { namespace: ns, name: "before" }), {
        method: "PATCH",
        patchType: "merge",
        body: { spec: { size: 2 } },
      });
      await eventually("spec change seen on the new watch", () => rec.callsFor(`${ns}/before`).length === 2, 30_000);
    } finally {
      await manager.stop();
    }
  });

  it("a leader that cannot renew past the deadline stops and exits non-zero", async () => {
    const ns = unique("lost");
    const lease = unique("lease");
    await createNamespace(client, ns);
    const child = spawn(
      process.execPath,
      [
        "src/cli/main.ts",
        "operator",
        "--kubeconfig",
        kube.kubeconfigPath,
        "--namespace",
        ns,
        "--leader-elect",
        "--leader-election-id",
        lease,
        "--lease-duration",
        "6s",
        "--renew-deadline",
        "4s",
        "--retry-period",
        "1s",
        "--metrics-addr",
        "0",
        "--health-addr",
        "0",
        "--log-level",
        "error",
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const exited = once(child, "exit");
    try {
      await eventually("lease held", async () => {
        try {
          const l = await client.request<{ spec?: { holderIdentity?: string } }>(
            objectPath(LEASES, { namespace: ns, name: lease }),
          );
          return Boolean(l.spec?.holderIdentity);
        } catch {
          return false;
        }
      });
      await kube.stopApiServer();
      const [code] = (await exited) as [number | null];
      assert.equal(code, 1);
      assert.match(out, /leader election lost; exiting/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await kube.startApiServer();
    }
  });
});

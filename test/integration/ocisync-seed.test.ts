// The seed runbook end to end: test-namespace.yaml packed with `crane append` and, separately, `oras push` of a
// .tar.gz; an OciSync in the operator's namespace (a root sync); status shows the digest and `namespace/test
// Current`; a new push under the tag applies the change and prunes what was dropped within one period; a
// digest-pinned OciSync ignores tag moves and never polls the registry.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PassThrough } from "node:stream";
import { main } from "../../src/cli/main.ts";
import { isNotFound } from "../../src/kube/api-error.ts";
import type { KubeObject } from "../../src/kube/resource.ts";
import {
  createOciSync,
  ensureNamespace,
  getOciSync,
  pushWithCrane,
  pushWithOras,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const opNs = unique("ocis-root");
let op: TestOperator;

const cm = (ns: string, name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n  value: "${value}"\n`;

async function configMapValue(op: TestOperator, ns: string, name: string): Promise<string | undefined> {
  try {
    return (
      await op.admin.request<KubeObject & { data?: Record<string, string> }>(
        `/api/v1/namespaces/${ns}/configmaps/${name}`,
      )
    ).data?.value;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Runs the real `airlift status` command and returns its stdout. */
async function airliftStatus(op: TestOperator, args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (c: Buffer) => chunks.push(c));
  const code = await main(["status", "--kubeconfig", op.env.kube.kubeconfigPath, ...args], {
    stdout,
    stderr: process.stderr,
    env: {},
  });
  assert.equal(code, 0);
  return Buffer.concat(chunks).toString("utf8");
}

describe("OciSync: the seed's workflow", () => {
  before(async () => {
    op = await startOperator(opNs, opNs);
    // Another test file's engine run may have left Namespace `test` labelled with its own owner; hand it over.
    await ensureNamespace(op.admin, "test");
    await op.admin.request("/api/v1/namespaces/test", {
      method: "PATCH",
      patchType: "merge",
      body: {
        metadata: {
          labels: {
            "airlift.dev/owner-kind": null,
            "airlift.dev/owner-namespace": null,
            "airlift.dev/owner-name": null,
          },
        },
      },
    });
  });
  after(async () => op.stop());

  for (const tool of ["crane", "oras"] as const) {
    it(`syncs test-namespace.yaml pushed with ${tool} and reports namespace/test Current`, async () => {
      const reg = op.env.registries.anonymous;
      const ref = `${reg.host}/${unique(`config/${tool}`)}/test-namespace:v1`;
      const files = { "test-namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n" };
      const digest =
        tool === "crane" ? await pushWithCrane(ref, files) : await pushWithOras(ref, files, "test-namespace.tar.gz");
      const name = `root-sync-${tool}`;
      await createOciSync(op.admin, opNs, name, {
        sourceFormat: "unstructured",
        oci: { image: ref, dir: ".", period: "5s", plainHTTP: true },
      });
      const s = await waitReady(op.admin, opNs, name, "True/Succeeded");
      assert.equal(s.status?.sync?.digest, digest);
      assert.equal(s.status?.artifact?.revision, `v1@${digest}`);
      assert.equal(s.status?.source?.image, ref);
      assert.deepEqual(s.status?.inventory, [
        { group: "", version: "v1", kind: "Namespace", name: "test", status: "Current" },
      ]);
      assert.ok(s.metadata.finalizers?.includes("airlift.dev/ocisync"));
      // `airlift status` prints it like `nomos status`.
      const out = await airliftStatus(op, ["--namespace", opNs, "--root-namespace", opNs]);
      assert.match(out, new RegExp(`<root>:${name}\\s+${ref.replace(/[.]/g, "\\.")}`));
      assert.match(out, new RegExp(`SYNCED @ \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\s+${digest.slice(0, 15)}`));
      assert.match(out, /NAMESPACE\s+NAME\s+STATUS\s+SOURCEHASH/);
      assert.match(out, new RegExp(`namespace/test\\s+Current\\s+${digest.slice(0, 15)}`));
      const json = JSON.parse(await airliftStatus(op, ["--namespace", opNs, "--json"])) as {
        ociSyncs: { name: string; state: string; digest: string }[];
      };
      assert.deepEqual(json.ociSyncs.find((o) => o.name === name)?.state, "SYNCED");
      if (tool === "crane") console.log(out);
      // Delete without propagation: the Namespace stays (Config Sync's default).
      await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${opNs}/ocisyncs/${name}`, { method: "DELETE" });
      await waitFor("OciSync gone", async () =>
        getOciSync(op.admin, opNs, name).then(
          () => undefined,
          (err: unknown) => (isNotFound(err) ? true : undefined),
        ),
      );
      const ns = await op.admin.request<KubeObject>("/api/v1/namespaces/test");
      assert.equal(ns.metadata.deletionTimestamp, undefined);
      // Let the next test adopt it.
      await op.admin.request("/api/v1/namespaces/test", {
        method: "PATCH",
        patchType: "merge",
        body: {
          metadata: {
            labels: {
              "airlift.dev/owner-kind": null,
              "airlift.dev/owner-namespace": null,
              "airlift.dev/owner-name": null,
            },
          },
        },
      });
    });
  }

  it("applies a changed object and prunes a dropped one within one 5s period after a push; steady state is one HEAD per period", async () => {
    const reg = op.env.registries.anonymous;
    const ns = unique("ocis-upd");
    await ensureNamespace(op.admin, ns);
    const ref = `${reg.host}/${unique("config/update")}/app:v1`;
    await pushWithOras(ref, { "a.yaml": cm(ns, "a", "one"), "b.yaml": cm(ns, "b", "keep") });
    await createOciSync(op.admin, opNs, "update", { oci: { image: ref, period: "5s", plainHTTP: true } });
    await waitReady(op.admin, opNs, "update", "True/Succeeded");
    assert.equal(await configMapValue(op, ns, "a"), "one");
    // Steady state: count requests over three periods.
    const repoPath = ref.slice(reg.host.length).replace(/:v1$/, "/");
    const before = op.requests.length;
    await sleep(15_500);
    const steady = op.requests.slice(before).filter((r) => r.includes(repoPath));
    assert.ok(steady.length >= 2 && steady.length <= 4, `requests over 3 periods: ${steady.join(", ")}`);
    assert.ok(
      steady.every((r) => r.startsWith("HEAD ")),
      `only HEADs in steady state: ${steady.join(", ")}`,
    );
    const pushedAt = Date.now();
    const digest2 = await pushWithOras(ref, { "a.yaml": cm(ns, "a", "two") });
    await waitFor("a changed", async () => ((await configMapValue(op, ns, "a")) === "two" ? true : undefined), 20_000);
    const appliedMs = Date.now() - pushedAt;
    await waitFor(
      "b pruned",
      async () => ((await configMapValue(op, ns, "b")) === undefined ? true : undefined),
      10_000,
    );
    // Objects change before the status write that records the sync: wait for the status of this digest.
    const s = await waitFor(
      "the sync of the new digest recorded",
      async () => {
        const got = await waitReady(op.admin, opNs, "update", "True/Succeeded");
        return got.status?.sync?.digest === digest2 ? got : undefined;
      },
      20_000,
    );
    assert.deepEqual(
      s.status?.inventory?.map((e) => e.name),
      ["a"],
    );
    assert.ok(appliedMs < 12_000, `applied ${appliedMs} ms after the push`);
    console.log(
      `# ocisync: push -> applied in ${appliedMs} ms (period 5s); steady-state requests per 5s period: ${(steady.length / 3).toFixed(2)}`,
    );
  });

  it("a digest-pinned OciSync ignores tag moves and sends no registry request after the first pull", async () => {
    const reg = op.env.registries.anonymous;
    const ns = unique("ocis-pin");
    await ensureNamespace(op.admin, ns);
    const repo = `${reg.host}/${unique("config/pinned")}/app`;
    const digest = await pushWithCrane(`${repo}:v1`, { "a.yaml": cm(ns, "a", "pinned") });
    await createOciSync(op.admin, opNs, "pinned", {
      oci: { image: `${repo}@${digest}`, period: "5s", plainHTTP: true },
    });
    const s = await waitReady(op.admin, opNs, "pinned", "True/Succeeded");
    assert.equal(s.status?.artifact?.revision, digest);
    const pinnedRequests = (): string[] => op.requests.filter((r) => r.includes(repo.slice(reg.host.length)));
    const afterPull = pinnedRequests().length;
    await pushWithCrane(`${repo}:v1`, { "a.yaml": cm(ns, "a", "moved") });
    await sleep(11_000);
    assert.equal(pinnedRequests().length, afterPull, "no request for a pinned image after the pull");
    assert.equal(await configMapValue(op, ns, "a"), "pinned");
  });
});

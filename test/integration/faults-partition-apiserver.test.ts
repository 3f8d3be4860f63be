// A silent network partition (toxiproxy's `timeout` toxic: packets held, no reset, no close) between real operator
// processes and the API server. Watches: the API server speaks HTTP/2, so one connection carries every watch; the
// operator PINGs it and gives it up within H2_DEAD_AFTER_MS (src/net/network-bounds.ts), as the kernel sees it (`ss`),
// each watch says so in the log, and once the partition heals the informers re-list and re-watch: an OciSync created
// meanwhile is synced. (Over HTTP/1.1 the bound is WATCH_SILENCE_TIMEOUT_MS: no event and no bookmark for that long.)
// Leases: of two replicas, the leader cut off stops leading (exits 1) within its renew deadline, before its lease can
// expire for the other, which then takes over and reconciles.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { LEASES, objectPath } from "../../src/kube/resource.ts";
import { H2_DEAD_AFTER_MS } from "../../src/net/network-bounds.ts";
import { run, type EnvironmentConnection } from "../env/index.ts";
import { startToxiproxy, type Toxiproxy } from "../env/toxiproxy.ts";
import {
  adminOnTestEnv,
  createOciSync,
  ensureNamespace,
  getOciSync,
  pushWithCrane,
  unique,
  waitFor,
} from "./ocisync-support.ts";
import {
  closedWithin,
  connectionsTo,
  heal,
  partitionOperatorArgs,
  OperatorProcess,
  proxiedApi,
  silence,
  type LogEntry,
} from "./partition-support.ts";

/** Scheduling slack on a loaded 2-core machine: the `ss` poll period, timers firing late. */
const MARGIN_MS = 5_000;
/** The operator's leader election defaults (--lease-duration, --renew-deadline, --retry-period). */
const LEASE_DURATION_MS = 15_000;
const RENEW_DEADLINE_MS = 10_000;
const RETRY_PERIOD_MS = 2_000;
const ns = unique("partition-api");
const work = mkdtempSync(join(tmpdir(), "airlift-partition-api-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let toxi: Toxiproxy;
const operators: OperatorProcess[] = [];
const images: Record<string, string> = {};

/** Creates an OciSync `name` of the test image (a ConfigMap `cm`) and waits until it is Ready. */
async function syncNow(name: string, timeoutMs = 90_000): Promise<void> {
  await createOciSync(admin, ns, name, { oci: { image: images[name], plainHTTP: true } });
  await synced(name, timeoutMs);
}

async function synced(name: string, timeoutMs: number): Promise<void> {
  await waitFor(
    `OciSync ${name} Ready`,
    async () => {
      const s = await getOciSync(admin, ns, name);
      const ok =
        s.status?.observedGeneration === s.metadata.generation &&
        s.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      return ok ? true : undefined;
    },
    timeoutMs,
  );
}

/** The first entry of each kind. */
function firstPerKind(entries: LogEntry[]): LogEntry[] {
  const seen = new Map<unknown, LogEntry>();
  for (const e of entries) if (!seen.has(e.kind)) seen.set(e.kind, e);
  return [...seen.values()];
}

async function holder(lease: string): Promise<string> {
  const l = await admin
    .request<{ spec?: { holderIdentity?: string } }>(objectPath(LEASES, { namespace: ns, name: lease }))
    .catch(() => undefined);
  return l?.spec?.holderIdentity ?? "";
}

before(async () => {
  ({ env, admin } = await adminOnTestEnv());
  await ensureNamespace(admin, ns);
  // One image per OciSync, each with a ConfigMap of its own name.
  for (const name of ["before", "during", "takeover"]) {
    images[name] = `${env.registries.anonymous.host}/${ns}/${name}:v1`;
    await pushWithCrane(images[name], {
      "cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n  value: v1\n`,
    });
  }
  toxi = await startToxiproxy(join(work, "toxiproxy"));
});

after(async () => {
  await Promise.all(operators.map((o) => o.stop()));
  await toxi?.stop();
  await admin?.close();
});

describe("silent partition from the API server", () => {
  it("watches notice within the silence bound, then re-list and re-watch once it heals", async () => {
    const { kubeconfig, port } = await proxiedApi(toxi, "api", env.kube, join(work, "watch.kubeconfig"));
    const op = new OperatorProcess("watch", partitionOperatorArgs(kubeconfig, ns));
    operators.push(op);
    await op.start();
    await syncNow("before");
    const open = [...(await connectionsTo(port)).keys()];
    assert.ok(open.length > 0, "the operator has no connection to the API server");
    const cutAt = await silence(toxi, "api");
    // Made while the operator cannot hear: only a watch that comes back (or a re-list) brings it.
    await createOciSync(admin, ns, "during", { oci: { image: images.during, plainHTTP: true } });
    // The test API server speaks HTTP/2: one connection carries every watch, and its unanswered PINGs end it.
    const bound = H2_DEAD_AFTER_MS + MARGIN_MS;
    const gone = await closedWithin(port, open, cutAt, bound);
    const stalled = firstPerKind(op.since(cutAt, "watch failed; retrying")).map((e) => ({
      kind: String(e.kind),
      ms: e.at - cutAt,
      err: String(e.err),
    }));
    const stuck = open.filter((p) => !gone.has(p));
    const detail = stuck.length ? (await run("ss", ["-tnoiH", "dst", `127.0.0.1:${port}`])).stdout : "";
    await heal(toxi, "api");
    const healedAt = Date.now();
    assert.deepEqual(
      stuck,
      [],
      `connections to the API server still open ${bound} ms after the silent cut (of ${open.length}): ${detail}; watches stalled: ${JSON.stringify(stalled)}; ` +
        `the operator's warnings since: ${JSON.stringify(op.log.filter((e) => e.at >= cutAt && e.level !== "debug"))}`,
    );
    for (const kind of ["OciSync", "ImageImport", "ArtifactPull"])
      assert.ok(
        stalled.some((s) => s.kind === kind && s.ms <= bound),
        `the ${kind} watch did not notice within ${bound} ms: ${JSON.stringify(stalled)}`,
      );
    await synced("during", 120_000);
    assert.ok(op.running, "the operator exited during the partition");
    console.log(
      `# API server silent: ${open.length} connections given up after ${[...gone.values()].map((c) => (c.afterCut / 1000).toFixed(1)).join(", ")} s after the cut; ` +
        `watches stalled: ${stalled.map((s) => `${s.kind} ${(s.ms / 1000).toFixed(1)} s`).join(", ")} ` +
        `(bound ${H2_DEAD_AFTER_MS / 1000} s + ${MARGIN_MS / 1000} s); OciSync made meanwhile synced ${((Date.now() - healedAt) / 1000).toFixed(1)} s after healing`,
    );
    await op.stop();
  });

  it("the leader cut off stops leading within its renew deadline, before its lease expires, and the other takes over", async () => {
    const lease = "airlift-partition";
    const replicas: OperatorProcess[] = [];
    for (const name of ["a", "b"]) {
      const { kubeconfig } = await proxiedApi(toxi, `api-${name}`, env.kube, join(work, `${name}.kubeconfig`));
      const op = new OperatorProcess(
        name,
        partitionOperatorArgs(kubeconfig, ns, ["--leader-elect", "--leader-election-id", lease, "--identity", name]),
      );
      operators.push(op);
      replicas.push(op);
    }
    await Promise.all(replicas.map((r) => r.start()));
    const first = await waitFor("a leader", async () => (await holder(lease)) || undefined, 60_000);
    const leader = replicas.find((r) => first.startsWith(`${r.name}_`))!;
    const other = replicas.find((r) => r !== leader)!;
    const cutAt = await silence(toxi, `api-${leader.name}`);
    const taken = await waitFor(
      "the other replica holds the lease",
      async () => ((await holder(lease)).startsWith(`${other.name}_`) ? Date.now() : undefined),
      60_000,
    );
    await heal(toxi, `api-${leader.name}`);
    const exit = leader.exits[0];
    assert.ok(exit, "the cut-off leader is still running after the other took over");
    assert.equal(exit.code, 1);
    // It renewed at most a retry period before the cut, so its lease lasts at least until cut - retry + duration.
    assert.ok(
      exit.at - cutAt <= Math.min(RENEW_DEADLINE_MS + MARGIN_MS, LEASE_DURATION_MS - RETRY_PERIOD_MS),
      `the cut-off leader stopped ${exit.at - cutAt} ms after the cut`,
    );
    assert.ok(exit.at < taken, "the old leader was still running when the other took over");
    await syncNow("takeover");
    assert.ok(other.running, "the new leader exited");
    console.log(
      `# leader cut off silently: stopped leading ${((exit.at - cutAt) / 1000).toFixed(1)} s after the cut ` +
        `(renew deadline ${RENEW_DEADLINE_MS / 1000} s, lease ${LEASE_DURATION_MS / 1000} s); ` +
        `the other took over ${((taken - cutAt) / 1000).toFixed(1)} s after the cut`,
    );
  });
});

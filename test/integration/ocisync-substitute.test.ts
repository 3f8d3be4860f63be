// Per-site values on a real API server (Flux postBuild): spec.substituteFrom's ConfigMap and Secret of the OciSync's
// namespace, the site's built-ins, spec.substitute winning over both; a changed ConfigMap reaching the next period's
// sync; a missing ConfigMap (SubstituteFromNotFound) unless optional; a missing variable (SubstitutionFailed naming
// the object and the variable); an opted-out object keeping its `${...}`. The Secret's value must never reach the
// OciSync's status, its Events or the operator's log, even when the API server quotes it in a refusal.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { isNotFound } from "../../src/kube/api-error.ts";
import { scanLogs } from "../env/suite-logs.ts";
import {
  createOciSync,
  ensureNamespace,
  getOciSync,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

// A root sync (in the operator's namespace): it applies as the operator, so no tenant RBAC is needed here.
const ns = unique("ocis-subst");
const SUFFIX = "zone9.example.com";
const REGISTRY = "registry.zone9.example.com:5443";
// Spaces and "!" make it an invalid label value: the API server quotes it back in its refusal.
const token = `tok en!${randomBytes(6).toString("hex")}`;
let op: TestOperator;

const valuesCm = (data: Record<string, string>): Record<string, unknown> => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "site-values", namespace: ns },
  data,
});

async function liveData(name: string): Promise<Record<string, string> | undefined> {
  try {
    const cm = await op.admin.request<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${name}`);
    return cm.data;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const files = {
  "k/kustomization.yaml": `namespace: ${ns}\nresources:\n  - values.yaml\n  - raw.yaml\n`,
  "k/values.yaml": [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: rendered",
    "data:",
    "  region: ${REGION}",
    "  color: ${COLOR}",
    "  tier: ${TIER}",
    "  token: ${TOKEN}",
    "  registry: ${AIRLIFT_DEFAULT_REGISTRY}",
    "  suffix: ${AIRLIFT_DNS_SUFFIX}",
    "  mode: ${MODE:=prod}",
    "",
  ].join("\n"),
  "k/raw.yaml":
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\n  annotations:\n    airlift.dev/substitute: disabled\ndata:\n  script: echo ${REGION}\n",
};

describe("OciSync substituteFrom", () => {
  before(async () => {
    op = await startOperator(ns, ns, { defaultRegistry: REGISTRY, dnsSuffix: SUFFIX });
    await ensureNamespace(op.admin, ns);
    await op.admin.request(`/api/v1/namespaces/${ns}/configmaps`, {
      method: "POST",
      body: valuesCm({ REGION: "eu-1", COLOR: "from-configmap", TIER: "configmap" }),
    });
    await op.admin.request(`/api/v1/namespaces/${ns}/secrets`, {
      method: "POST",
      body: { metadata: { name: "site-secret" }, stringData: { TOKEN: token, TIER: "secret" } },
    });
  });
  after(async () => op.stop());

  it("values from a ConfigMap, a Secret and the built-ins, inline winning; a ConfigMap change reaches the next period", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("subst/from")}/repo:v1`;
    await pushWithCrane(ref, files);
    await createOciSync(op.admin, ns, "from", {
      oci: { image: ref, dir: "k", period: "5s", plainHTTP: true },
      substitute: { COLOR: "inline" },
      substituteFrom: [
        { kind: "ConfigMap", name: "site-values" },
        { kind: "Secret", name: "site-secret" },
        { kind: "ConfigMap", name: "not-there", optional: true },
      ],
    });
    await waitReady(op.admin, ns, "from", "True/Succeeded");
    assert.deepEqual(await liveData("rendered"), {
      region: "eu-1",
      color: "inline",
      tier: "secret",
      token,
      registry: REGISTRY,
      suffix: SUFFIX,
      mode: "prod",
    });
    assert.deepEqual(await liveData("raw"), { script: "echo ${REGION}" });

    await op.admin.request(`/api/v1/namespaces/${ns}/configmaps/site-values`, {
      method: "PUT",
      body: valuesCm({ REGION: "us-2", COLOR: "from-configmap", TIER: "configmap" }),
    });
    await waitFor("the new region applied", async () =>
      (await liveData("rendered"))?.region === "us-2" ? true : undefined,
    );
  });

  it("a missing ConfigMap that is not optional is SubstituteFromNotFound; a missing variable names object and variable", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("subst/missing")}/repo:v1`;
    await pushWithCrane(ref, files);
    await createOciSync(op.admin, ns, "no-cm", {
      oci: { image: ref, dir: "k", period: "5s", plainHTTP: true },
      substituteFrom: [{ kind: "ConfigMap", name: "never-created" }],
    });
    const s = await waitReady(op.admin, ns, "no-cm", "False/SubstituteFromNotFound");
    assert.match(s.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /ConfigMap .*\/never-created/);

    await createOciSync(op.admin, ns, "no-var", {
      oci: { image: ref, dir: "k", period: "5s", plainHTTP: true },
      substituteFrom: [{ kind: "ConfigMap", name: "site-values" }],
    });
    const s2 = await waitReady(op.admin, ns, "no-var", "False/SubstitutionFailed");
    const message = s2.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "";
    assert.match(message, /ConfigMap [^ ]*rendered: variable TOKEN is not defined/);
  });

  it("a Secret's value quoted by an API server refusal never reaches status, Events or the operator log", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("subst/leak")}/repo:v1`;
    await pushWithCrane(ref, {
      "leak.yaml":
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\n  namespace: ${ns}\n  labels:\n    token: ` +
        "${TOKEN}\n",
    });
    await createOciSync(op.admin, ns, "leak", {
      oci: { image: ref, period: "5s", plainHTTP: true },
      substituteFrom: [{ kind: "Secret", name: "site-secret" }],
    });
    const s = await waitReady(op.admin, ns, "leak", "False/ValidationFailed");
    assert.match(s.status?.sync?.errors?.[0]?.message ?? "", /\*\*\*/);
    await waitFor("the warning event", async () => {
      const list = await op.admin.request<{ items: { regarding?: { name?: string } }[] }>(
        `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
      );
      return list.items.some((e) => e.regarding?.name === "leak") ? true : undefined;
    });
    const events = await op.admin.request<unknown>(`/apis/events.k8s.io/v1/namespaces/${ns}/events`);
    const status = JSON.stringify(await getOciSync(op.admin, ns, "leak"));
    assert.ok(!status.includes(token), "status holds the Secret's value");
    assert.ok(!JSON.stringify(events).includes(token), "an Event holds the Secret's value");
    const logs = process.env.AIRLIFT_TEST_LOGS;
    assert.ok(logs, "the suite's log folder (run with --test-global-setup)");
    const scan = scanLogs(logs, { "the substituteFrom Secret's TOKEN": token });
    assert.ok(scan.files > 0);
    assert.deepEqual(scan.findings, []);
  });
});

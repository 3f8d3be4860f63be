// Each failure its own reason (InvalidYAML naming file and line, DirNotFound, SourceNotFound, Unauthorized), and drift
// repair: a managed object deleted or edited by hand is put back within one period.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { KubeObject } from "../../src/kube/resource.ts";
import {
  createOciSync,
  ensureNamespace,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const opNs = unique("ocis-err");
let op: TestOperator;

describe("OciSync: failures and drift", () => {
  before(async () => {
    op = await startOperator(opNs, opNs);
  });
  after(async () => op.stop());

  it("invalid YAML stalls with InvalidYAML naming the file and line", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("config/bad")}/app:v1`;
    await pushWithCrane(ref, {
      "ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n",
      "broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n",
    });
    await createOciSync(op.admin, opNs, "badyaml", { oci: { image: ref, period: "5s", plainHTTP: true } });
    const s = await waitReady(op.admin, opNs, "badyaml", "False/InvalidYAML");
    assert.match(s.status?.sync?.errors?.[0]?.message ?? "", /broken\.yaml.*(line|:\d+)/);
    assert.ok(s.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True"));
  });

  it("a missing dir stalls with DirNotFound", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("config/nodir")}/app:v1`;
    await pushWithCrane(ref, { "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" });
    await createOciSync(op.admin, opNs, "nodir", {
      oci: { image: ref, dir: "clusters/prod", period: "5s", plainHTTP: true },
    });
    const s = await waitReady(op.admin, opNs, "nodir", "False/DirNotFound");
    assert.match(s.status?.sync?.errors?.[0]?.message ?? "", /clusters\/prod/);
  });

  it("an image that does not exist stalls with SourceNotFound", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("config/missing")}/app:v1`;
    await createOciSync(op.admin, opNs, "missing", { oci: { image: ref, period: "5s", plainHTTP: true } });
    const s = await waitReady(op.admin, opNs, "missing", "False/SourceNotFound");
    assert.equal(s.status?.source?.errors?.[0]?.code, "SourceNotFound");
  });

  it("bad credentials stall with Unauthorized", async () => {
    const reg = op.env.registries["basic-tls"];
    await op.admin.request(`/api/v1/namespaces/${opNs}/secrets`, {
      method: "POST",
      body: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "bad-creds" },
        type: "kubernetes.io/basic-auth",
        stringData: { username: reg.username, password: "wrong" },
      },
    });
    await op.admin.request(`/api/v1/namespaces/${opNs}/secrets`, {
      method: "POST",
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: "reg-ca" }, stringData: { "ca.crt": reg.caPem } },
    });
    await createOciSync(op.admin, opNs, "badcreds", {
      oci: {
        image: `${reg.host}/${unique("config/private")}/app:v1`,
        period: "5s",
        auth: "secret",
        credentialsSecretRef: { name: "bad-creds" },
        caCertSecretRef: { name: "reg-ca" },
      },
    });
    const s = await waitReady(op.admin, opNs, "badcreds", "False/Unauthorized");
    assert.doesNotMatch(JSON.stringify(s.status), /wrong/);
  });

  it("puts back a managed object deleted by hand and restores an edited field within one period", async () => {
    const ns = unique("ocis-drift");
    await ensureNamespace(op.admin, ns);
    const ref = `${op.env.registries.anonymous.host}/${unique("config/drift")}/app:v1`;
    await pushWithCrane(ref, {
      "a.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ${ns}\ndata:\n  value: desired\n`,
      "b.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: ${ns}\ndata:\n  value: desired\n`,
    });
    await createOciSync(op.admin, opNs, "drift", { oci: { image: ref, period: "5s", plainHTTP: true } });
    await waitReady(op.admin, opNs, "drift", "True/Succeeded");
    const path = (n: string): string => `/api/v1/namespaces/${ns}/configmaps/${n}`;
    await op.admin.request(path("a"), { method: "DELETE" });
    await op.admin.request(path("b"), { method: "PATCH", patchType: "merge", body: { data: { value: "edited" } } });
    const started = Date.now();
    await waitFor(
      "a recreated",
      async () => ((await op.admin.request<KubeObject>(path("a")).catch(() => undefined)) ? true : undefined),
      15_000,
    );
    await waitFor(
      "b restored",
      async () =>
        (await op.admin.request<KubeObject & { data?: { value?: string } }>(path("b"))).data?.value === "desired"
          ? true
          : undefined,
      15_000,
    );
    console.log(`# ocisync: drift repaired in ${Date.now() - started} ms (period 5s)`);
  });
});

// spec.force (issue 16) against the real API server. An immutable ConfigMap (`immutable: true`) whose data changes
// in the source is an update the API server refuses (422): with force the OciSync deletes and creates it again (a
// new uid, the new data, a Recreated Event); without force it fails and stays. Force never touches an object the
// sync does not manage (an unlabelled one already in the cluster), nor one whose new body is invalid in itself (a
// bad data key): that is a mistake in the source, refused by the validation dry-run with the revision, and the
// object stays.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OciSync } from "../../src/api/oci-sync.ts";
import { ANNOTATION_RECONCILE_REQUESTED_AT } from "../../src/kube/reconcile-request.ts";
import {
  createOciSync,
  getOciSync,
  pushWithCrane,
  readyReason,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const ns = unique("ocis-force");
let op: TestOperator;

interface Live {
  metadata: { uid: string };
  data?: Record<string, string>;
}

const immutable = (name: string, key: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nimmutable: true\ndata:\n  "${key}": "${value}"\n`;
const cmPath = (name: string): string => `/api/v1/namespaces/${ns}/configmaps/${name}`;
const live = (name: string): Promise<Live> => op.admin.request<Live>(cmPath(name));

async function requestReconcile(name: string): Promise<void> {
  await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/${name}`, {
    method: "PATCH",
    patchType: "merge",
    body: { metadata: { annotations: { [ANNOTATION_RECONCILE_REQUESTED_AT]: new Date().toISOString() } } },
  });
}

/** Waits until the OciSync applied `digest` (with or without errors). */
async function applied(name: string, digest: string): Promise<OciSync> {
  return waitFor(`${name} applied ${digest}`, async () => {
    const s = await getOciSync(op.admin, ns, name);
    const handled = s.status?.lastHandledReconcileAt !== undefined && s.status.source?.digest === digest;
    return handled && (s.status?.sync?.errors?.length ?? 0) > 0 ? s : undefined;
  });
}

describe("OciSync spec.force", () => {
  before(async () => {
    op = await startOperator(ns, ns);
  });
  after(async () => op.stop());

  it("recreates a managed object whose update is refused, and nothing else", async () => {
    const host = op.env.registries.anonymous.host;
    const forced = `${host}/${unique("config/force")}/app:v1`;
    const plain = `${host}/${unique("config/noforce")}/app:v1`;
    await pushWithCrane(forced, {
      "imm.yaml": immutable("imm", "value", "1"),
      "bad.yaml": immutable("bad", "value", "1"),
    });
    await pushWithCrane(plain, { "imm.yaml": immutable("plain-imm", "value", "1") });
    await createOciSync(op.admin, ns, "forced", { oci: { image: forced, period: "1h", plainHTTP: true }, force: true });
    await createOciSync(op.admin, ns, "plain", { oci: { image: plain, period: "1h", plainHTTP: true } });
    await waitReady(op.admin, ns, "forced", "True/Succeeded");
    await waitReady(op.admin, ns, "plain", "True/Succeeded");
    // Already in the cluster, not labelled by the sync: force must not recreate it.
    await op.admin.request(`/api/v1/namespaces/${ns}/configmaps`, {
      method: "POST",
      body: { metadata: { name: "foreign" }, immutable: true, data: { value: "0" } },
    });
    const before = {
      imm: (await live("imm")).metadata.uid,
      bad: (await live("bad")).metadata.uid,
      foreign: (await live("foreign")).metadata.uid,
      plain: (await live("plain-imm")).metadata.uid,
    };

    const second = await pushWithCrane(forced, {
      "imm.yaml": immutable("imm", "value", "2"),
      "bad.yaml": immutable("bad", "value", "1"),
    });
    const plainSecond = await pushWithCrane(plain, { "imm.yaml": immutable("plain-imm", "value", "2") });
    await requestReconcile("forced");
    await requestReconcile("plain");
    await waitFor(`forced synced ${second}`, async () => {
      const got = await getOciSync(op.admin, ns, "forced");
      return got.status?.sync?.digest === second && readyReason(got) === "True/Succeeded" ? got : undefined;
    });
    const imm = await live("imm");
    assert.notEqual(imm.metadata.uid, before.imm, "recreated: a new object");
    assert.equal(imm.data?.value, "2");
    await applied("plain", plainSecond);
    const plainImm = await live("plain-imm");
    assert.equal(plainImm.metadata.uid, before.plain, "without force the refused update fails");
    assert.equal(plainImm.data?.value, "1");

    // An invalid body and an object the sync does not manage: force resolves neither, nothing is deleted.
    const third = await pushWithCrane(forced, {
      "imm.yaml": immutable("imm", "value", "2"),
      "bad.yaml": immutable("bad", "not a valid key!", "2"),
      "foreign.yaml": immutable("foreign", "value", "2"),
    });
    await requestReconcile("forced");
    const s = await applied("forced", third);
    const bad = await live("bad");
    assert.equal(bad.metadata.uid, before.bad, "an invalid body is reported, the object stays");
    assert.equal(bad.data?.value, "1");
    const foreign = await live("foreign");
    assert.equal(foreign.metadata.uid, before.foreign, "an object the sync does not manage is never recreated");
    assert.equal(foreign.data?.value, "0");
    const failedNames = (s.status?.sync?.errors ?? []).map((e) => e.message).join("\n");
    assert.match(failedNames, /ConfigMap .*\/bad/);
    assert.match(failedNames, /ConfigMap .*\/foreign/);
    assert.equal((await live("imm")).metadata.uid, imm.metadata.uid, "the recreated object is left alone");

    const events = await op.admin.request<{ items: { reason: string; note: string; regarding: { name: string } }[] }>(
      `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
    );
    const recreated = events.items.filter((e) => e.reason === "Recreated" && e.regarding.name === "forced");
    assert.equal(recreated.length, 1, JSON.stringify(events.items.map((e) => e.reason)));
    assert.match(recreated[0]?.note ?? "", /ConfigMap .*\/imm again/);
  });
});

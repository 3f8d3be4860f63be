// Validate the whole set, then apply, on a real API server: a revision of fifty objects with one the server refuses
// (an invalid label value, caught only by the server's validation) leaves all fifty unapplied, names the bad one in
// status (ValidationFailed, with its object), and the previous good revision stays applied and in the inventory;
// the next good push applies again.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createOciSync,
  getOciSync,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const ns = unique("ocis-validate");
let op: TestOperator;

/** Fifty ConfigMaps with `v: version`; `bad` (if set) gets a label value the API server refuses. */
function revision(version: string, bad?: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 50; i++) {
    const name = `cm-${String(i).padStart(2, "0")}`;
    const labels = i === bad ? "  labels:\n    broken: 'not a valid label value!'\n" : "";
    files[`${name}.yaml`] =
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${labels}data:\n  v: "${version}"\n`;
  }
  return files;
}

async function versions(): Promise<Map<string, string>> {
  const list = await op.admin.request<{ items: { metadata: { name: string }; data?: { v?: string } }[] }>(
    `/api/v1/namespaces/${ns}/configmaps`,
    { query: { labelSelector: "airlift.dev/owner-name=fifty" } },
  );
  return new Map(list.items.map((cm) => [cm.metadata.name, cm.data?.v ?? ""]));
}

describe("OciSync validates the whole revision before applying any of it", () => {
  before(async () => {
    op = await startOperator(ns, ns);
  });
  after(async () => op.stop());

  it("one invalid object among fifty: none applied, the bad one named, the last good revision kept", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("validate/fifty")}/repo:v1`;
    const good = await pushWithCrane(ref, revision("1"));
    await createOciSync(op.admin, ns, "fifty", { oci: { image: ref, period: "5s", plainHTTP: true } });
    await waitReady(op.admin, ns, "fifty", "True/Succeeded");
    assert.deepEqual([...(await versions()).values()], Array(50).fill("1"));

    await pushWithCrane(ref, {
      ...revision("2", 17),
      "extra.yaml": revision("2")["cm-00.yaml"]!.replace("cm-00", "cm-50"),
    });
    const s = await waitReady(op.admin, ns, "fifty", "False/ValidationFailed");
    const errors = s.status?.sync?.errors ?? [];
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]?.code, "ValidationFailed");
    assert.match(errors[0]?.message ?? "", /ConfigMap [^ ]*\/cm-17: 422 Invalid/);
    assert.match(errors[0]?.message ?? "", /from cm-17\.yaml/);
    assert.deepEqual(
      errors[0]?.resources?.map((r) => r.name),
      ["cm-17"],
    );
    assert.equal(s.status?.sync?.digest, good, "the last good revision stays the applied one");
    assert.equal(s.status?.inventory?.length, 50);
    const now = await versions();
    assert.equal(now.size, 50, "cm-50 of the refused revision was not created");
    assert.deepEqual([...now.values()], Array(50).fill("1"), "no object of the refused revision was applied");

    const fixed = await pushWithCrane(ref, revision("3"));
    await waitFor("the fixed revision applied", async () => {
      const after3 = await getOciSync(op.admin, ns, "fifty");
      return after3.status?.sync?.digest === fixed && (after3.status.sync.errors?.length ?? 0) === 0 ? true : undefined;
    });
    assert.deepEqual([...(await versions()).values()], Array(50).fill("3"));
  });
});

// OciSync with spec.verify, with the real cosign: a signed config image syncs (SourceVerified names the key and the
// signature) and its digest is not verified again every period; an unsigned new push under the same tag leaves the
// cluster as it was (Stalled SignatureMissing, status.source.errors says why), and signing it lets it through.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import {
  createOciSync,
  pushWithCrane,
  startOperator,
  unique,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";
import { keyPair, sign } from "./verify-support.ts";

const ns = unique("verify-os");
const scratch = mkdtempSync(join(tmpdir(), "airlift-verify-os-"));
let op: TestOperator;
let k1: string;

function configMap(name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n  value: "${value}"\n`;
}

async function configMapValue(name: string): Promise<string | undefined> {
  const cm = await op.admin
    .request<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${name}`)
    .catch(() => undefined);
  return cm?.data?.value;
}

before(async () => {
  op = await startOperator(ns, ns);
  k1 = await keyPair(scratch, "k1");
  await op.admin.request(`/api/v1/namespaces/${ns}/secrets`, {
    method: "POST",
    body: { metadata: { name: "cosign-keys" }, stringData: { "cosign.pub": readFileSync(`${k1}.pub`, "utf8") } },
  });
});

after(async () => {
  await op.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("OciSync with spec.verify", () => {
  it("syncs a signed image, refuses an unsigned new push without touching the cluster", async () => {
    const repo = `${op.env.registries.anonymous.host}/${unique("config/signed")}/app`;
    const first = await pushWithCrane(`${repo}:v1`, { "cm.yaml": configMap("settings", "one") });
    await sign(k1, `${repo}@${first}`, "bundle");
    await createOciSync(op.admin, ns, "signed", {
      oci: { image: `${repo}:v1`, period: "5s", plainHTTP: true },
      verify: { provider: "cosign", publicKeysSecretRef: { name: "cosign-keys" } },
    });
    const synced = await waitReady(op.admin, ns, "signed", "True/Succeeded");
    const verified = synced.status?.conditions?.find((c) => c.type === "SourceVerified");
    assert.equal(verified?.status, "True");
    assert.ok(verified?.message.includes(first), verified?.message);
    assert.match(verified?.message ?? "", /by key sha256:[0-9a-f]{64} \(ec-p256\), bundle signature sha256:/);
    assert.equal(await configMapValue("settings"), "one");

    // Two more periods on the same digest: its signature is not fetched again.
    const seen = op.requests.length;
    await sleep(11_000);
    const later = op.requests.slice(seen).filter((r) => r.includes("/referrers/") || /sha256-[0-9a-f]{64}/.test(r));
    assert.deepEqual(later, [], "a verified digest is not verified again every period");
    assert.ok(op.requests.length > seen, "the tag was resolved again meanwhile");

    const second = await pushWithCrane(`${repo}:v1`, {
      "cm.yaml": configMap("settings", "two"),
      "extra.yaml": configMap("extra", "new"),
    });
    const refused = await waitReady(op.admin, ns, "signed", "False/SignatureMissing");
    assert.equal(refused.status?.source?.errors?.[0]?.code, "SignatureMissing");
    assert.match(refused.status?.source?.errors?.[0]?.message ?? "", new RegExp(second));
    assert.equal(refused.status?.conditions?.find((c) => c.type === "SourceVerified")?.status, "False");
    assert.equal(await configMapValue("settings"), "one", "the cluster keeps the verified content");
    assert.equal(await configMapValue("extra"), undefined, "nothing of the unsigned push is applied");

    await sign(k1, `${repo}@${second}`, "legacy");
    await waitReady(op.admin, ns, "signed", "True/Succeeded");
    assert.equal(await configMapValue("settings"), "two");
    assert.equal(await configMapValue("extra"), "new");
  });
});

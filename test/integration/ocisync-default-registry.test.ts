// One config image for every site (issue 13): an OciSync image written without a registry host is pulled from the
// site's default registry (here set as --default-registry would), never from docker.io; with no default registry
// known the OciSync stalls with NoRegistry and says how to name one.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createOciSync,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const siteNs = unique("ocis-site");
const bareNs = unique("ocis-nosite");
let site: TestOperator;
let bare: TestOperator;

describe("OciSync: a host-less image uses the site's registry", () => {
  before(async () => {
    const probe = await startOperator(bareNs, bareNs);
    bare = probe;
    site = await startOperator(siteNs, siteNs, { defaultRegistry: probe.env.registries.anonymous.host });
  });
  after(async () => {
    await site?.stop();
    await bare?.stop();
  });

  it("syncs team/config:v1 from the default registry", async () => {
    const registry = site.env.registries.anonymous.host;
    const repo = unique("site/config");
    const cm = unique("from-site");
    const digest = await pushWithCrane(`${registry}/${repo}:v1`, {
      "cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${cm}\n  namespace: ${siteNs}\ndata:\n  k: v\n`,
    });
    await createOciSync(site.admin, siteNs, "hostless", {
      oci: { image: `${repo}:v1`, period: "5s", plainHTTP: true },
    });
    const s = await waitReady(site.admin, siteNs, "hostless", "True/Succeeded");
    assert.equal(s.status?.source?.digest, digest);
    assert.ok(
      site.requests.some((r) => r.includes(`${registry}/v2/${repo}/`)),
      "pulled from the default registry",
    );
    assert.ok(!site.requests.some((r) => /docker\.io/.test(r)), "never docker.io");
    const obj = await waitFor(`ConfigMap ${cm}`, () =>
      site.admin.request<{ data?: Record<string, string> }>(`/api/v1/namespaces/${siteNs}/configmaps/${cm}`),
    );
    assert.equal(obj.data?.k, "v");
  });

  it("stalls with NoRegistry when no default registry is known", async () => {
    await createOciSync(bare.admin, bareNs, "hostless", { oci: { image: "team/config:v1", period: "5s" } });
    const s = await waitReady(bare.admin, bareNs, "hostless", "False/NoRegistry");
    const ready = s.status?.conditions?.find((c) => c.type === "Ready");
    assert.match(ready?.message ?? "", /no registry: .*--default-registry/);
    assert.ok(!bare.requests.some((r) => /docker\.io/.test(r)), "never docker.io");
  });
});

// The image preflight (issue 19) against the real API server and registry: a Deployment whose image was never
// pushed. warn (the default) applies it and lists the image in status.imagePreflight and a Warning Event; block
// applies nothing until the image is pushed, then applies within one period; pinDigests applies each image at the
// digest `crane digest` reads.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { run } from "../env/index.ts";
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

const opNs = unique("preflight");
let op: TestOperator;
let registry: string;

function deployment(name: string, images: { app: string; init: string }): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${opNs}
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      initContainers: [{ name: setup, image: "${images.init}" }]
      containers: [{ name: app, image: "${images.app}" }]
`;
}

async function seed(ref: string): Promise<string> {
  return pushWithCrane(ref, { "bin.txt": `${ref}\n` });
}

async function deploymentImages(name: string): Promise<string[]> {
  const d = await op.admin.request<{
    spec: { template: { spec: { containers: { image: string }[]; initContainers: { image: string }[] } } };
  }>(`/apis/apps/v1/namespaces/${opNs}/deployments/${name}`);
  const spec = d.spec.template.spec;
  return [...spec.initContainers, ...spec.containers].map((c) => c.image);
}

async function exists(name: string): Promise<boolean> {
  return op.admin
    .request(`/apis/apps/v1/namespaces/${opNs}/deployments/${name}`)
    .then(() => true)
    .catch(() => false);
}

before(async () => {
  op = await startOperator(opNs, opNs);
  registry = op.env.registries.anonymous.host;
});

after(async () => {
  await op.stop();
});

describe("OciSync image preflight", () => {
  it("warn (the default) applies and lists the missing image in status and a Warning Event", async () => {
    const present = `${registry}/${unique("apps/base")}:1`;
    await seed(present);
    const absent = `${registry}/${unique("apps/never")}:1`;
    const ref = `${registry}/${unique("config/warn")}:v1`;
    await pushWithCrane(ref, { "web.yaml": deployment("web-warn", { app: absent, init: present }) });
    await createOciSync(op.admin, opNs, "warn", { oci: { image: ref, period: "5s", plainHTTP: true } });
    const s = await waitFor("the preflight status", async () => {
      const o = await getOciSync(op.admin, opNs, "warn");
      return o.status?.imagePreflight ? o : undefined;
    });
    assert.ok(await exists("web-warn"), "warn applies");
    assert.equal(s.status?.imagePreflight?.checked, 2);
    assert.deepEqual(s.status?.imagePreflight?.missing, [`${absent} (Deployment ${opNs}/web-warn app)`]);
    const events = await op.admin.request<{ items: { reason: string; note?: string; message?: string }[] }>(
      `/apis/events.k8s.io/v1/namespaces/${opNs}/events`,
    );
    const warning = events.items.find((e) => e.reason === "ImagesMissing");
    assert.ok(warning, "a Warning Event ImagesMissing");
    assert.match(warning.note ?? "", new RegExp(absent.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
  });

  it("block applies nothing until the image is pushed, then applies it within a period", async () => {
    const later = `${registry}/${unique("apps/later")}:2`;
    const base = `${registry}/${unique("apps/base")}:1`;
    await seed(base);
    const ref = `${registry}/${unique("config/block")}:v1`;
    await pushWithCrane(ref, { "web.yaml": deployment("web-block", { app: later, init: base }) });
    await createOciSync(op.admin, opNs, "block", {
      oci: { image: ref, period: "5s", plainHTTP: true },
      imagePreflight: { mode: "block" },
    });
    const blocked = await waitReady(op.admin, opNs, "block", "False/ImagesMissing");
    assert.equal(await exists("web-block"), false, "nothing applied");
    assert.match(
      blocked.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "",
      /1 missing: .*apps\/later/,
    );
    const pushed = Date.now();
    await seed(later);
    // Within one period (5 s) of the push, plus the apply: the test API server runs no controllers, so the
    // Deployment's existence is the signal, not Ready.
    await waitFor(
      "the blocked Deployment applied",
      async () => ((await exists("web-block")) ? true : undefined),
      15_000,
    );
    process.stderr.write(
      `# preflight: blocked revision applied ${Date.now() - pushed} ms after the image was pushed\n`,
    );
    const after = await waitFor("status without missing images", async () => {
      const o = await getOciSync(op.admin, opNs, "block");
      return o.status?.imagePreflight && !o.status.imagePreflight.missing ? o : undefined;
    });
    assert.equal(after.status?.imagePreflight?.checked, 2);
  });

  it("pinDigests applies every image at the digest the registry serves", async () => {
    const app = `${registry}/${unique("apps/pinned")}:3`;
    const init = `${registry}/${unique("apps/init")}:3`;
    const appDigest = await seed(app);
    const initDigest = await seed(init);
    const ref = `${registry}/${unique("config/pin")}:v1`;
    await pushWithCrane(ref, { "web.yaml": deployment("web-pin", { app, init }) });
    await createOciSync(op.admin, opNs, "pin", {
      oci: { image: ref, period: "5s", plainHTTP: true },
      imagePreflight: { mode: "warn", pinDigests: true },
    });
    // The test API server runs no controllers: a Deployment never becomes Current, so wait for what was applied.
    await waitFor("the pinned Deployment", async () => ((await exists("web-pin")) ? true : undefined));
    const s = await waitFor("the pinned images in status", async () => {
      const o = await getOciSync(op.admin, opNs, "pin");
      return o.status?.imagePreflight?.pinned ? o : undefined;
    });
    const crane = async (r: string): Promise<string> => (await run("crane", ["digest", "--insecure", r])).stdout.trim();
    assert.equal(appDigest, await crane(app));
    assert.deepEqual(await deploymentImages("web-pin"), [`${init}@${initDigest}`, `${app}@${appDigest}`]);
    assert.deepEqual(
      [...(s.status?.imagePreflight?.pinned ?? [])].sort(),
      [`${app}@${appDigest}`, `${init}@${initDigest}`].sort(),
    );
  });
});

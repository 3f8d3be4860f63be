// The CRDs on a real kube-apiserver: they install, objects of each kind are accepted and defaulted exactly as
// withXDefaults says, every status field of the types survives a status patch (no pruning), a Ready condition
// written to status is seen the way `kubectl wait --for=condition=Ready` sees it, and the printer columns,
// category and short names are served.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { testEnv } from "../env/index.ts";
import {
  ALL_KINDS,
  API_VERSION,
  CATEGORY,
  GROUP,
  VERSION,
  parseArtifactPull,
  parseImageImport,
  parseOciSync,
  withArtifactPullDefaults,
  withImageImportDefaults,
  withOciSyncDefaults,
  type KindInfo,
} from "../../src/api/index.ts";
import { fullArtifactPull, fullImageImport, fullOciSync } from "../fixtures/api/full-objects.ts";
import { sampleArtifactPull, sampleImageImport, sampleOciSync } from "../fixtures/api/sample-objects.ts";
import { createNamespace, eventually, installCrds, kubeClient, type Doc, type Kube } from "./api-kube-support.ts";

const ns = `api-crds-${randomBytes(3).toString("hex")}`;
let kube: Kube;

before(async () => {
  kube = kubeClient(await testEnv());
  await installCrds(kube);
  await createNamespace(kube, ns);
});
after(() => kube.close());

const CASES = [
  {
    kind: ALL_KINDS[0]!,
    sample: sampleImageImport,
    full: fullImageImport,
    defaults: (s: unknown) => withImageImportDefaults(parseImageImport(s).spec),
  },
  {
    kind: ALL_KINDS[1]!,
    sample: sampleArtifactPull,
    full: fullArtifactPull,
    defaults: (s: unknown) => withArtifactPullDefaults(parseArtifactPull(s).spec),
  },
  {
    kind: ALL_KINDS[2]!,
    sample: sampleOciSync,
    full: fullOciSync,
    defaults: (s: unknown) => withOciSyncDefaults(parseOciSync(s).spec),
  },
];

function collection(kind: KindInfo): string {
  return `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${kind.plural}`;
}

describe("CRDs on the API server", () => {
  for (const { kind, sample, full, defaults } of CASES) {
    it(`${kind.kind}: a valid object is accepted and defaulted as withDefaults says`, async () => {
      const obj = sample(`${kind.singular}-defaults`, ns);
      const created = await kube.call("POST", collection(kind), { body: obj });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      // The server's defaulted object narrows, and its spec is exactly the TypeScript defaulting of ours.
      assert.deepEqual(created.body.spec, defaults(obj));
      assert.deepEqual(defaults(created.body), created.body.spec);
    });

    it(`${kind.kind}: every status field of the type survives a status patch, and Ready is seen like kubectl wait`, async () => {
      const name = `${kind.singular}-status`;
      const created = await kube.call("POST", collection(kind), { body: sample(name, ns) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const status = full().status;
      const patched = await kube.call("PATCH", `${collection(kind)}/${name}/status`, {
        body: { status },
        contentType: "application/merge-patch+json",
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body.status, status, "the API server pruned or changed status fields");
      await eventually(`${kind.kind} Ready`, async () => {
        const { body } = await kube.call("GET", `${collection(kind)}/${name}`);
        const conds =
          (body.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
        return conds.some((c) => c.type === "Ready" && c.status === "True");
      });
      // The printer columns read the condition and the digest (what `kubectl get` prints).
      const table = await kube.call("GET", `${collection(kind)}/${name}`, {
        accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
      });
      const columns = (table.body.columnDefinitions as { name: string }[]).map((c) => c.name);
      const cells = (table.body.rows as { cells: unknown[] }[])[0]!.cells;
      const cell = (col: string): unknown => cells[columns.indexOf(col)];
      assert.equal(cell("Ready"), "True");
      assert.equal(cell("Reason"), "Succeeded");
      assert.match(String(cell("Digest")), /^sha256:b{64}$/);
    });

    it(`${kind.kind}: a spec change bumps metadata.generation but a status change does not`, async () => {
      const name = `${kind.singular}-generation`;
      const created = await kube.call("POST", collection(kind), { body: sample(name, ns) });
      assert.equal((created.body.metadata as { generation: number }).generation, 1);
      const statusPatched = await kube.call("PATCH", `${collection(kind)}/${name}/status`, {
        body: { status: { observedGeneration: 1 } },
        contentType: "application/merge-patch+json",
      });
      assert.equal((statusPatched.body.metadata as { generation: number }).generation, 1);
      const suspended = await kube.call("PATCH", `${collection(kind)}/${name}`, {
        body: { spec: { suspend: true } },
        contentType: "application/merge-patch+json",
      });
      assert.equal((suspended.body.metadata as { generation: number }).generation, 2);
    });
  }

  it(`discovery serves the three kinds in category ${CATEGORY}, with short names no other resource uses`, async () => {
    const { body } = await kube.call("GET", `/apis/${GROUP}/${VERSION}`);
    const resources = body.resources as { name: string; kind: string; categories?: string[]; shortNames?: string[] }[];
    for (const kind of ALL_KINDS) {
      const served = resources.find((r) => r.name === kind.plural);
      assert.ok(served, `${kind.plural} is not served`);
      assert.deepEqual(served.categories, [CATEGORY]);
      assert.deepEqual(served.shortNames, [...kind.shortNames]);
    }
    const others = await allOtherShortNames();
    for (const short of ALL_KINDS.flatMap((k) => k.shortNames))
      assert.ok(!others.has(short), `short name ${short} clashes with ${others.get(short)}`);
  });

  it("unknown spec fields (a Config Sync habit) are pruned, not stored", async () => {
    const obj = sampleOciSync("pruned", ns) as unknown as Doc & { spec: Record<string, unknown> };
    obj.spec.sourceType = "oci";
    const created = await kube.call("POST", collection(ALL_KINDS[2]!), { body: obj });
    assert.equal(created.status, 201);
    assert.equal((created.body.spec as Record<string, unknown>).sourceType, undefined);
    assert.equal(created.body.apiVersion, API_VERSION);
  });
});

async function allOtherShortNames(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const add = (groupVersion: string, resources: { name: string; shortNames?: string[] }[]): void => {
    for (const r of resources) for (const s of r.shortNames ?? []) out.set(s, `${r.name} (${groupVersion})`);
  };
  add("v1", (await kube.call("GET", "/api/v1")).body.resources as { name: string }[]);
  const groups = (await kube.call("GET", "/apis")).body.groups as {
    name: string;
    preferredVersion: { groupVersion: string };
  }[];
  for (const g of groups) {
    if (g.name === GROUP) continue;
    const { body } = await kube.call("GET", `/apis/${g.preferredVersion.groupVersion}`);
    add(g.preferredVersion.groupVersion, (body.resources as { name: string }[] | undefined) ?? []);
  }
  return out;
}

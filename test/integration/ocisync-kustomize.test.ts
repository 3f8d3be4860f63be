// OciSync reads a real GitOps repo: a base, a component and two overlays (namePrefix, namespace, a strategic-merge
// patch, a JSON 6902 patch, a configMapGenerator with its hash suffix) pushed with `crane append` and `oras push`;
// the cluster must hold exactly what the real `kustomize build` prints, moving the OciSync to a new image tag prunes
// what left the overlay, and what an operator must never render (remote base, helmCharts, exec plugin, a path
// outside the image) is refused with the cluster untouched. The child's bounds (time, output) are checked on the real binary, and through an
// operator configured with small bounds: Stalled RenderFailed, nothing applied.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { isNotFound } from "../../src/kube/api-error.ts";
import type { KubeObject } from "../../src/kube/resource.ts";
import { LoadError } from "../../src/sync/errors.ts";
import { loadSource } from "../../src/sync/load-source.ts";
import { kustomizeBuild } from "../../src/sync/render-kustomize.ts";
import { run, toolPath } from "../env/index.ts";
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
  writeFiles,
  type TestOperator,
} from "./ocisync-support.ts";

const opNs = unique("ocis-kust");
const siteA = unique("site-a");
const siteB = unique("site-b");
let op: TestOperator;

/** The repo: base + component + overlays a and b; `withComponent` false drops the component from overlay a. */
function repo(withComponent = true): Record<string, string> {
  const compLine = withComponent ? "components:\n  - ../../components/extra\n" : "";
  return {
    "base/kustomization.yaml":
      "resources:\n  - settings.yaml\n  - service.yaml\nconfigMapGenerator:\n  - name: app-env\n    literals:\n      - MODE=prod\n",
    "base/settings.yaml":
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: red\n  size: m\n",
    "base/service.yaml":
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n    - port: 80\n",
    "components/extra/kustomization.yaml":
      "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - extra.yaml\n",
    "components/extra/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  on: 'yes'\n",
    "overlays/a/kustomization.yaml": `namePrefix: a-\nnamespace: ${siteA}\nresources:\n  - ../../base\n${compLine}patches:\n  - path: color.yaml\n  - target:\n      kind: Service\n      name: web\n    patch: |-\n      - op: replace\n        path: /spec/ports/0/port\n        value: 8080\n`,
    "overlays/a/color.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n",
    "overlays/b/kustomization.yaml": `namePrefix: b-\nnamespace: ${siteB}\nresources:\n  - ../../base\n`,
  };
}

/** What the real kustomize prints for `dir` of `files`. */
async function kustomizeOutput(files: Record<string, string>, dir: string): Promise<KubeObject[]> {
  const root = writeFiles(files);
  const out = (await run(toolPath("kustomize"), ["build", join(root, dir)])).stdout;
  return parseAllDocuments(out).map((d) => d.toJS() as KubeObject);
}

async function live(o: KubeObject): Promise<(KubeObject & Record<string, unknown>) | undefined> {
  const plural = o.kind === "Service" ? "services" : "configmaps";
  try {
    return await op.admin.request(`/api/v1/namespaces/${o.metadata.namespace}/${plural}/${o.metadata.name}`);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The cluster holds every object of `expected` with its data / ports, and the inventory is exactly that set. */
async function assertClusterMatches(expected: KubeObject[], inventory: { name: string }[] | undefined): Promise<void> {
  assert.deepEqual(inventory?.map((e) => e.name).sort(), expected.map((o) => o.metadata.name).sort());
  for (const want of expected) {
    const got = await live(want);
    assert.ok(got, `${want.kind} ${want.metadata.namespace}/${want.metadata.name} exists`);
    if (want.kind === "ConfigMap") assert.deepEqual(got.data, (want as unknown as { data: unknown }).data);
    else
      assert.deepEqual(
        (got.spec as { ports: { port: number }[] }).ports.map((p) => p.port),
        (want as unknown as { spec: { ports: { port: number }[] } }).spec.ports.map((p) => p.port),
      );
  }
}

describe("OciSync renders kustomize overlays", () => {
  before(async () => {
    op = await startOperator(opNs, opNs);
    await ensureNamespace(op.admin, siteA);
    await ensureNamespace(op.admin, siteB);
  });
  after(async () => op.stop());

  it("overlay a pushed with crane append: the cluster holds what kustomize build prints; a new image tag prunes what left", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("kust/crane")}/repo:v1`;
    await pushWithCrane(ref, repo());
    const expected = await kustomizeOutput(repo(), "overlays/a");
    const names = expected.map((o) => o.metadata.name);
    assert.ok(
      names.some((n) => /^a-app-env-[a-z0-9]{10}$/.test(n)),
      `hash suffix in ${names.join(",")}`,
    );
    assert.ok(names.includes("a-extra"));
    await createOciSync(op.admin, opNs, "overlay-a", {
      oci: { image: ref, dir: "overlays/a", period: "5s", plainHTTP: true },
    });
    const s = await waitReady(op.admin, opNs, "overlay-a", "True/Succeeded");
    await assertClusterMatches(expected, s.status?.inventory);
    // The patch file was never applied as an object of its own.
    assert.equal(
      await live({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: siteA } }),
      undefined,
    );

    // The new revision under a new tag, the OciSync moved to it: what left the overlay is pruned.
    const ref2 = ref.replace(/:v1$/, ":v2");
    await pushWithCrane(ref2, repo(false));
    await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${opNs}/ocisyncs/overlay-a`, {
      method: "PATCH",
      patchType: "merge",
      body: { spec: { oci: { image: ref2 } } },
    });
    const after2 = await kustomizeOutput(repo(false), "overlays/a");
    const s2 = await waitFor("the component's object pruned", async () => {
      const now = await getOciSync(op.admin, opNs, "overlay-a");
      return now.status?.inventory?.length === after2.length ? now : undefined;
    });
    await assertClusterMatches(after2, s2.status?.inventory);
    assert.equal(
      await live({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a-extra", namespace: siteA } }),
      undefined,
    );
  });

  it("overlay b pushed with oras push (tar.gz): the cluster holds what kustomize build prints", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("kust/oras")}/repo:v1`;
    await pushWithOras(ref, repo());
    const expected = await kustomizeOutput(repo(), "overlays/b");
    await createOciSync(op.admin, opNs, "overlay-b", {
      oci: { image: ref, dir: "overlays/b", period: "5s", plainHTTP: true },
    });
    const s = await waitReady(op.admin, opNs, "overlay-b", "True/Succeeded");
    await assertClusterMatches(expected, s.status?.inventory);
  });

  const refusals: [string, Record<string, string>, string][] = [
    [
      "remote base",
      { "k/kustomization.yaml": "resources:\n  - https://github.com/example/repo//base?ref=v1\n" },
      "remote resource",
    ],
    [
      "helmCharts",
      { "k/kustomization.yaml": "helmCharts:\n  - name: nginx\n    repo: https://charts.example.com\n" },
      "helmCharts",
    ],
    [
      "exec plugin",
      {
        "k/kustomization.yaml": "generators:\n  - gen.yaml\n",
        "k/gen.yaml":
          "apiVersion: example.com/v1\nkind: Exec\nmetadata:\n  name: g\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: /bin/sh\n",
      },
      "not a builtin",
    ],
    [
      "a path outside the root",
      { "k/kustomization.yaml": "resources:\n  - ../../../etc\n" },
      "outside the image's root",
    ],
  ];
  for (const [what, files, words] of refusals) {
    it(`refuses ${what}: Stalled RenderRefused, nothing applied`, async () => {
      const ref = `${op.env.registries.anonymous.host}/${unique("kust/refuse")}/repo:v1`;
      const all = {
        ...files,
        "k/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: never\n  namespace: default\n",
      };
      await pushWithCrane(ref, all);
      const name = unique("refuse");
      await createOciSync(op.admin, opNs, name, { oci: { image: ref, dir: "k", period: "5s", plainHTTP: true } });
      const s = await waitReady(op.admin, opNs, name, "False/RenderRefused");
      const stalled = s.status?.conditions?.find((c) => c.type === "Stalled");
      assert.equal(stalled?.status, "True");
      assert.match(stalled?.message ?? "", new RegExp(words));
      assert.deepEqual(s.status?.inventory ?? [], []);
      assert.equal(
        await live({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "never", namespace: "default" } }),
        undefined,
      );
    });
  }

  it("spec.substitute fills ${VAR} in kustomize's output; an opted-out object keeps it; a missing one is SubstitutionFailed", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("kust/subst")}/repo:v1`;
    const files = {
      "k/kustomization.yaml": `namespace: ${siteA}\nresources:\n  - cm.yaml\n  - raw.yaml\n`,
      "k/cm.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: subst\ndata:\n  registry: harbor.${DNS_SUFFIX}\n  mode: ${MODE:=prod}\n",
      "k/raw.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: subst-raw\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  script: echo ${HOME}\n",
    };
    await pushWithCrane(ref, files);
    await createOciSync(op.admin, opNs, "subst", {
      oci: { image: ref, dir: "k", period: "5s", plainHTTP: true },
      substitute: { DNS_SUFFIX: "zone1.example.com" },
    });
    await waitReady(op.admin, opNs, "subst", "True/Succeeded");
    const cm = await live({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "subst", namespace: siteA } });
    assert.deepEqual(cm?.data, { registry: "harbor.zone1.example.com", mode: "prod" });
    const raw = await live({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "subst-raw", namespace: siteA } });
    assert.deepEqual(raw?.data, { script: "echo ${HOME}" });

    const missing = unique("subst-missing");
    await createOciSync(op.admin, opNs, missing, {
      oci: { image: ref, dir: "k", period: "5s", plainHTTP: true },
      substitute: { MODE: "dev" },
    });
    const s = await waitReady(op.admin, opNs, missing, "False/SubstitutionFailed");
    assert.match(s.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /variable DNS_SUFFIX/);
  });

  it("a kustomize error is RenderFailed with kustomize's own message", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("kust/bad")}/repo:v1`;
    await pushWithCrane(ref, { "k/kustomization.yaml": "resources:\n  - missing.yaml\n" });
    await createOciSync(op.admin, opNs, "bad", { oci: { image: ref, dir: "k", period: "5s", plainHTTP: true } });
    const s = await waitReady(op.admin, opNs, "bad", "False/RenderRefused");
    assert.match(s.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /missing\.yaml/);
    await pushWithCrane(ref, {
      "k/kustomization.yaml": "resources:\n  - cm.yaml\n",
      "k/cm.yaml": "apiVersion: v1\nkind: ConfigMap\n",
    });
    const s2 = await waitReady(op.admin, opNs, "bad", "False/RenderFailed");
    assert.match(s2.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /kustomize build k:/);
  });
});

describe("OciSync with the operator's kustomize bounds", () => {
  const bounds: [string, { timeoutMs?: number; maxOutputBytes?: number }, RegExp][] = [
    ["takes too long", { timeoutMs: 1 }, /took longer than 1 ms/],
    ["prints too much", { maxOutputBytes: 100 }, /printed more than 100 bytes/],
  ];
  for (const [what, limits, words] of bounds) {
    it(`a rendering that ${what} is Stalled RenderFailed, nothing applied`, async () => {
      const ns = unique("kust-bound");
      const bounded = await startOperator(ns, ns, { kustomizeLimits: limits });
      try {
        const ref = `${bounded.env.registries.anonymous.host}/${unique("kust/bound")}/repo:v1`;
        await pushWithCrane(ref, {
          "k/kustomization.yaml": `namespace: ${ns}\nresources:\n  - cm.yaml\n`,
          "k/cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bounded\ndata:\n  text: ${"x".repeat(200)}\n`,
        });
        await createOciSync(bounded.admin, ns, "bounded", {
          oci: { image: ref, dir: "k", period: "5s", plainHTTP: true },
        });
        const s = await waitReady(bounded.admin, ns, "bounded", "False/RenderFailed");
        const stalled = s.status?.conditions?.find((c) => c.type === "Stalled");
        assert.equal(stalled?.status, "True");
        assert.match(stalled?.message ?? "", words);
        assert.deepEqual(s.status?.inventory ?? [], []);
        await assert.rejects(bounded.admin.request(`/api/v1/namespaces/${ns}/configmaps/bounded`), /404/);
      } finally {
        await bounded.stop();
      }
    });
  }
});

describe("kustomize as a bounded child", () => {
  it("a rendering that prints too much or takes too long is stopped (RenderFailed)", async () => {
    const root = writeFiles(repo());
    const build = { binary: toolPath("kustomize"), root, dir: join(root, "overlays/a") };
    await assert.rejects(kustomizeBuild({ ...build, limits: { maxOutputBytes: 100 } }), (err: unknown) => {
      assert.ok(err instanceof LoadError && err.code === "RenderFailed");
      assert.match(err.message, /printed more than 100 bytes/);
      return true;
    });
    await assert.rejects(kustomizeBuild({ ...build, limits: { timeoutMs: 1 } }), /took longer than 1 ms/);
    assert.ok((await kustomizeBuild(build)).includes("a-settings"));
  });

  it("a kustomization without a kustomize binary is KustomizeUnavailable, never its files as they stand", async () => {
    const root = writeFiles(repo());
    await assert.rejects(loadSource({ root, dir: "overlays/a", render: { mode: "auto" } }), (err: unknown) => {
      assert.ok(err instanceof LoadError && err.code === "KustomizeUnavailable");
      return true;
    });
    await assert.rejects(loadSource({ root, dir: "overlays", render: { mode: "auto" } }), (err: unknown) => {
      assert.ok(err instanceof LoadError && err.code === "RenderRefused");
      return true;
    });
    // render: none is the explicit choice of the files as written.
    const plain = await loadSource({ root, dir: "base", render: { mode: "none" } });
    assert.deepEqual(plain.map((m) => m.object.metadata.name).sort(), ["settings", "web"]);
  });
});

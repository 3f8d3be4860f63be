// `airlift diff` as a user runs it against a real OciSync: the operator has synced a kustomize overlay (with
// spec.substitute) from an image pushed with crane; the same image diffs clean (exit 0), a changed image shows the
// create, the change as a unified diff, the prune and what the prune checks leave (exit 1), and the cluster is left
// exactly as it was (dry-run only); a value from substituteFrom's Secret is masked in the output. A prune past the safeguard is reported as refused, as the sync would.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isNotFound } from "../../src/kube/api-error.ts";
import { airliftArgs, run, type RunResult } from "../env/index.ts";
import {
  createOciSync,
  ensureNamespace,
  pushWithCrane,
  startOperator,
  unique,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const opNs = unique("diff-op");
const site = unique("diff-site");
let op: TestOperator;
let repo: string;
const TOKEN = "tok-s3cr3t-42";

/** A base of four ConfigMaps and an overlay; `v2` changes one, adds one and drops two (one of them detached). */
function files(v2: boolean): Record<string, string> {
  const cm = (name: string, data: string, annotations = ""): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${annotations}data:\n${data}`;
  const base = [
    cm("settings", `  color: ${v2 ? "blue" : "red"}\n  greeting: "\${GREETING}"\n  token: "\${TOKEN}"\n`),
    cm("steady", "  a: '1'\n"),
    ...(v2
      ? [cm("added", "  b: '2'\n")]
      : [cm("gone", "  c: '3'\n"), cm("kept", "  d: '4'\n", "  annotations:\n    airlift.dev/prune: disabled\n")]),
  ];
  return {
    "base/all.yaml": base.join("---\n"),
    "base/kustomization.yaml": "resources:\n  - all.yaml\n",
    "overlays/a/kustomization.yaml": `namePrefix: a-\nnamespace: ${site}\nresources:\n  - ../../base\n`,
  };
}

async function diff(args: string[]): Promise<RunResult> {
  const kubeconfig = op.env.kube.kubeconfigPath;
  const [cmd, argv] = airliftArgs([
    "diff",
    "apps",
    "-n",
    opNs,
    "--operator-namespace",
    opNs,
    "--kubeconfig",
    kubeconfig,
    ...args,
  ]);
  return run(cmd, argv, { allowFailure: true });
}

async function configMap(name: string): Promise<Record<string, string> | undefined> {
  try {
    return (await op.admin.request<{ data: Record<string, string> }>(`/api/v1/namespaces/${site}/configmaps/${name}`))
      .data;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

describe("airlift diff", () => {
  before(async () => {
    op = await startOperator(opNs, opNs);
    await ensureNamespace(op.admin, site);
    repo = `${op.env.registries.anonymous.host}/${unique("diff/apps")}/repo`;
    await pushWithCrane(`${repo}:v1`, files(false));
    await pushWithCrane(`${repo}:v2`, files(true));
    await op.admin.request(`/api/v1/namespaces/${opNs}/secrets`, {
      method: "POST",
      body: { metadata: { name: "diff-values" }, stringData: { TOKEN: TOKEN } },
    });
    await createOciSync(op.admin, opNs, "apps", {
      oci: { image: `${repo}:v1`, dir: "overlays/a", period: "1h", plainHTTP: true },
      substitute: { GREETING: "hello" },
      substituteFrom: [{ kind: "Secret", name: "diff-values" }],
    });
    await waitReady(op.admin, opNs, "apps", "True/Succeeded");
    assert.deepEqual(await configMap("a-settings"), { color: "red", greeting: "hello", token: TOKEN });
  });
  after(async () => op.stop());

  it("the synced image diffs clean: no output, exit 0", async () => {
    const out = await diff([]);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.equal(out.stdout, "");
    assert.match(out.stderr, new RegExp(`ocisync ${opNs}/apps from .*repo:v1@sha256:[0-9a-f]{64}: 4 unchanged`));
  });

  it("a changed image: create, change (unified diff), prune and what is left; exit 1; nothing changed", async () => {
    const out = await diff(["--image", `${repo}:v2`]);
    assert.equal(out.code, 1, out.stderr);
    const lines = out.stdout.split("\n");
    assert.ok(
      lines.some((l) => new RegExp(`^create ConfigMap ${site}/a-added \\(kustomize build overlays/a#\\d\\)$`).test(l)),
      out.stdout,
    );
    assert.ok(
      lines.some((l) =>
        new RegExp(`^change ConfigMap ${site}/a-settings \\(kustomize build overlays/a#\\d\\)$`).test(l),
      ),
      out.stdout,
    );
    assert.ok(lines.includes(`--- live ConfigMap ${site}/a-settings`), out.stdout);
    assert.ok(lines.includes("-  color: red") && lines.includes("+  color: blue"), out.stdout);
    assert.ok(!lines.some((l) => /^[-+] {2}greeting/.test(l)), "the substituted value is unchanged");
    // substituteFrom's Secret value, read with the user's kubeconfig as the operator reads it, is masked.
    assert.ok(lines.includes("   token: ***") && !out.stdout.includes(TOKEN), out.stdout);
    assert.ok(lines.includes(`prune ConfigMap ${site}/a-gone`), out.stdout);
    assert.ok(lines.includes(`left ConfigMap ${site}/a-kept: airlift.dev/prune is disabled`), out.stdout);
    assert.ok(!lines.some((l) => l.includes("a-steady")), "an unchanged object is not listed");
    assert.match(out.stderr, /1 to create, 1 to change, 1 to prune, 1 unchanged/);
    // Dry-run only: the cluster is as the v1 sync left it.
    assert.deepEqual(await configMap("a-settings"), { color: "red", greeting: "hello", token: TOKEN });
    assert.equal(await configMap("a-added"), undefined);
    assert.deepEqual(await configMap("a-gone"), { c: "3" });
  });

  it("--json carries the same plan", async () => {
    const out = await diff(["--image", `${repo}:v2`, "--json"]);
    assert.equal(out.code, 1);
    const doc = JSON.parse(out.stdout) as {
      counts: Record<string, number>;
      objects: { action: string; diff?: string }[];
    };
    assert.deepEqual([doc.counts.create, doc.counts.change, doc.counts.prune, doc.counts.unchanged], [1, 1, 1, 1]);
    assert.match(doc.objects.find((o) => o.action === "change")?.diff ?? "", /\+ {2}color: blue/);
  });

  it("an empty source: the prune safeguard refuses, as the sync would; exit 1", async () => {
    await pushWithCrane(`${repo}:empty`, { "overlays/a/kustomization.yaml": `namespace: ${site}\nresources: []\n` });
    const out = await diff(["--image", `${repo}:empty`]);
    assert.equal(out.code, 1, out.stdout + out.stderr);
    assert.match(out.stdout, /^refused to prune: the source has no objects/m);
    assert.match(out.stdout, new RegExp(`^left ConfigMap ${site}/a-settings: the prune safeguard holds$`, "m"));
    assert.ok(await configMap("a-settings"));
  });
});

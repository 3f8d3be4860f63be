import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LoadError } from "./errors.ts";
import { DirNotFoundError, loadManifests, parseManifests } from "./loader.ts";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "airlift-loader-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const cm = (name: string, ns?: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ""}data:\n  a: "1"\n`;

describe("parseManifests", () => {
  it("reads multi-document YAML, skipping empty documents and non-manifests", () => {
    const out = parseManifests(`${cm("a")}---\n---\n# only a comment\n---\nfoo: bar\n---\n${cm("b")}`, "x.yaml");
    assert.deepEqual(
      out.map((m) => m.object.metadata.name),
      ["a", "b"],
    );
    assert.equal(out[0]?.source, "x.yaml#1");
    assert.equal(out[1]?.source, "x.yaml#5");
  });

  it("expands kind: List", () => {
    const list = {
      apiVersion: "v1",
      kind: "List",
      items: [
        JSON.parse('{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}'),
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } },
      ],
    };
    const out = parseManifests(JSON.stringify(list), "list.json");
    assert.deepEqual(
      out.map((m) => `${m.object.kind}/${m.object.metadata.name}`),
      ["Secret/s", "ConfigMap/c"],
    );
    assert.equal(out[1]?.source, "list.json/items/1");
  });

  it("names file, line and column of a syntax error", () => {
    assert.throws(
      () =>
        parseManifests(`${cm("a")}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n`, "bad.yaml"),
      (err: unknown) =>
        err instanceof LoadError &&
        err.code === "InvalidYAML" &&
        /^failed to parse bad\.yaml:\d+:\d+: /.test(err.message),
    );
  });

  it("refuses a mapping key that is a map or a list, naming its line (found by fuzzing: it was stringified with a process warning)", () => {
    const text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  ? {x: 1}\n  : v\n";
    assert.throws(
      () => parseManifests(text, "complex.yaml"),
      (err: LoadError) =>
        err instanceof LoadError &&
        /complex\.yaml:5: a mapping key is itself a map, a list or binary/.test(err.message),
    );
    assert.throws(
      () => parseManifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n[a, b]: 1\n", "seq.yaml"),
      /seq\.yaml:4: a mapping key is itself/,
    );
    assert.throws(
      () =>
        parseManifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nx: &m {k: v}\n*m : 1\n", "alias.yaml"),
      /alias\.yaml:5: a mapping key is itself/,
    );
    assert.throws(
      () => parseManifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n!!binary aGk= : 1\n", "bin.yaml"),
      /bin\.yaml:4: a mapping key is itself/,
    );
  });

  it("refuses duplicate keys, and objects without a name", () => {
    assert.throws(
      () => parseManifests("apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: a}\n", "dup.yaml"),
      LoadError,
    );
    assert.throws(
      () => parseManifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "noname.yaml"),
      /no metadata.name/,
    );
    assert.throws(() => parseManifests("apiVersion: v1\nmetadata: {name: a}\n", "half.yaml"), /apiVersion and kind/);
  });

  it("refuses a YAML bomb by its alias count", () => {
    const bomb = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: lol}",
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
    ].join("\n");
    assert.throws(
      () => parseManifests(bomb, "bomb.yaml"),
      (err: unknown) => err instanceof LoadError && err.code === "SizeLimitExceeded" && err.file === "bomb.yaml",
    );
  });

  it("ignores kustomization files and local-config objects", () => {
    const text =
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata: {name: k}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n  annotations: {config.kubernetes.io/local-config: 'true'}\n";
    assert.deepEqual(parseManifests(text, "k.yaml"), []);
  });
});

describe("loadManifests", () => {
  it("walks dir recursively in path order, only yaml/yml/json files", async () => {
    const root = tree({
      "apps/b/two.yml": cm("two"),
      "apps/a.yaml": cm("one"),
      "apps/c.json": JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "three" } }),
      "apps/README.md": "# no",
      "other/x.yaml": cm("outside-dir"),
    });
    const out = await loadManifests({ root, dir: "apps" });
    assert.deepEqual(
      out.map((m) => `${m.source}:${m.object.metadata.name}`),
      ["apps/a.yaml:one", "apps/b/two.yml:two", "apps/c.json:three"],
    );
  });

  it("refuses a dir that escapes the root", async () => {
    const root = tree({ "a.yaml": cm("a") });
    await assert.rejects(
      loadManifests({ root, dir: "../" }),
      (err: unknown) => err instanceof LoadError && err.code === "PathEscape",
    );
    await assert.rejects(
      loadManifests({ root, dir: "/etc" }),
      (err: unknown) => err instanceof LoadError && err.code === "PathEscape",
    );
  });

  it("says when dir is not a directory of the root (absent, or a file), apart from load failures", async () => {
    const root = tree({ "a.yaml": cm("a") });
    await assert.rejects(
      loadManifests({ root, dir: "missing" }),
      (err: unknown) => err instanceof DirNotFoundError && err.file === "missing",
    );
    await assert.rejects(loadManifests({ root, dir: "a.yaml" }), DirNotFoundError);
    await assert.rejects(loadManifests({ root, dir: "a.yaml/inner" }), DirNotFoundError);
  });

  it("refuses a symlink out of the root, follows one inside it", async () => {
    const outside = tree({ "secret.yaml": cm("stolen") });
    const root = tree({ "apps/a.yaml": cm("a"), "shared/b.yaml": cm("b") });
    symlinkSync(join(root, "shared"), join(root, "apps", "shared"));
    const loaded = await loadManifests({ root, dir: "apps" });
    assert.deepEqual(
      loaded.map((m) => m.source),
      ["apps/a.yaml", "apps/shared/b.yaml"],
    );
    const root2 = tree({ "a.yaml": cm("a") });
    symlinkSync(join(outside, "secret.yaml"), join(root2, "link.yaml"));
    await assert.rejects(
      loadManifests({ root: root2 }),
      (err: unknown) => err instanceof LoadError && err.code === "PathEscape" && err.file === "link.yaml",
    );
  });

  it("names both files of a duplicate identity", async () => {
    const root = tree({ "a.yaml": cm("same", "team"), "b.yaml": cm("same", "team") });
    await assert.rejects(
      loadManifests({ root }),
      (err: unknown) =>
        err instanceof LoadError && err.code === "DuplicateObject" && /a\.yaml and b\.yaml/.test(err.message),
    );
  });

  it("caps the size of a file and of the whole set", async () => {
    const root = tree({ "a.yaml": cm("a"), "b.yaml": cm("b") });
    await assert.rejects(loadManifests({ root, limits: { maxFileBytes: 20 } }), /exceeds the cap of 20 bytes/);
    await assert.rejects(loadManifests({ root, limits: { maxTotalBytes: 100 } }), /total cap of 100 bytes/);
    await assert.rejects(
      loadManifests({ root, limits: { maxObjects: 1 } }),
      (err: unknown) =>
        err instanceof LoadError && err.code === "ObjectLimitExceeded" && /more than 1 objects/.test(err.message),
    );
    await assert.rejects(
      loadManifests({ root, limits: { maxFiles: 1 } }),
      (err: unknown) =>
        err instanceof LoadError && err.code === "ObjectLimitExceeded" && /manifest files/.test(err.message),
    );
  });
});

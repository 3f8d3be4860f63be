// The other shapes a multi-arch image crosses the gap in, imported with the real `airlift import` and checked with
// crane, skopeo and oras: a Docker 25+ `docker save` of a multi-platform image (an OCI layout with index.json AND
// manifest.json, gzip-wrapped) under --repository-prefix, and a nested index holding a BuildKit attestation
// manifest (`vnd.docker.reference.type: attestation-manifest`) under repository+tags, whole and reduced to a platform.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { ImportedImage } from "../../src/transfer/import-archive.ts";
import { run, testEnv } from "../env/index.ts";
import { airlift } from "./cli-support.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-index-shapes-"));
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
let registry: string;
let seed: string;
/** Digests of the seeded manifests by tag: amd, arm, s390, att, inner, nested. */
const digests: Record<string, string> = {};

interface IndexDoc {
  manifests: { digest: string; size: number; platform?: { os: string; architecture: string }; annotations?: object }[];
}

async function crane(...args: string[]): Promise<string> {
  return (await run("crane", [...args, "--insecure"])).stdout.trim();
}

async function platformImage(tag: string, platform: string): Promise<void> {
  const dir = mkdtempSync(join(scratch, "layer-"));
  writeFileSync(join(dir, "p.txt"), `${platform}\n`.repeat(500));
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "p.txt"]);
  await crane("append", "--oci-empty-base", "-f", join(dir, "l.tar"), "-t", `${seed}:${tag}`);
  await crane("mutate", "--set-platform", platform, `${seed}:${tag}`, "-t", `${seed}:${tag}`);
}

/** An index entry for `tag` as a registry serves it, with `extra` fields (platform, annotations). */
async function entry(tag: string, extra: object = {}): Promise<object> {
  const raw = await crane("manifest", `${seed}:${tag}`);
  const { mediaType } = JSON.parse(raw) as { mediaType: string };
  const digest = `sha256:${createHash("sha256").update(raw).digest("hex")}`;
  digests[tag] = digest;
  return { mediaType, digest, size: Buffer.byteLength(raw), ...extra };
}

async function pushIndex(tag: string, manifests: object[]): Promise<void> {
  const file = join(scratch, `${tag}.json`);
  writeFileSync(file, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  await run("oras", ["manifest", "push", "--plain-http", `${seed}:${tag}`, file, "--media-type", OCI_INDEX]);
  digests[tag] = await crane("digest", `${seed}:${tag}`);
}

/** BuildKit's attestation manifest: an unknown/unknown image whose layer is an in-toto statement. */
async function attestation(tag: string): Promise<void> {
  const statement = Buffer.from(
    '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2"}',
  );
  writeFileSync(join(scratch, "statement.json"), statement);
  const diffId = `sha256:${createHash("sha256").update(statement).digest("hex")}`;
  const config = { architecture: "unknown", os: "unknown", config: {}, rootfs: { type: "layers", diff_ids: [diffId] } };
  writeFileSync(join(scratch, "att-config.json"), JSON.stringify(config));
  await run(
    "oras",
    [
      "push",
      "--plain-http",
      `${seed}:${tag}`,
      "--config",
      "att-config.json:application/vnd.oci.image.config.v1+json",
      "statement.json:application/vnd.in-toto+json",
    ],
    { cwd: scratch },
  );
}

function importCli(args: string[]): ImportedImage[] {
  const res = airlift(["import", ...args, "--plain-http", "--progress", "none", "--json"], {});
  assert.equal(res.code, 0, res.stderr);
  return (JSON.parse(res.stdout) as { images: ImportedImage[] }).images;
}

/** crane and skopeo read the same bytes for `ref`; returns them. */
async function agreedManifest(ref: string): Promise<string> {
  const raw = await crane("manifest", ref);
  const viaSkopeo = (await run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`])).stdout.trim();
  assert.equal(viaSkopeo, raw);
  return raw;
}

before(async () => {
  registry = (await testEnv()).registries.anonymous.host;
  seed = `${registry}/shapes/seed`;
  await platformImage("amd", "linux/amd64");
  await platformImage("arm", "linux/arm64");
  await platformImage("s390", "linux/s390x");
  await attestation("att");
  const arm = await entry("arm", { platform: { os: "linux", architecture: "arm64" } });
  await pushIndex("inner", [
    await entry("amd", { platform: { os: "linux", architecture: "amd64" } }),
    arm,
    await entry("att", {
      platform: { os: "unknown", architecture: "unknown" },
      annotations: {
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": digests.arm,
      },
    }),
  ]);
  await pushIndex("nested", [
    await entry("inner"),
    await entry("s390", { platform: { os: "linux", architecture: "s390x" } }),
  ]);
});

after(() => rmSync(scratch, { recursive: true, force: true }));

describe("airlift import: Docker 25+ saves and nested indexes with attestations", () => {
  it("a Docker 25+ multi-platform docker save (gzip) under --repository-prefix: named once by its RepoTag", async () => {
    const layout = join(scratch, "docker-save");
    await run("oras", ["cp", "-r", "--from-plain-http", `${seed}:inner`, "--to-oci-layout", `${layout}:1`]);
    // What Docker 25+ writes: index.json names the index (containerd's full name and the bare tag), manifest.json
    // lists each platform image with its RepoTags, both pointing into blobs/sha256.
    const innerBytes = readFileSync(join(layout, "blobs/sha256", digests.inner?.slice(7) ?? ""));
    const innerDoc = JSON.parse(innerBytes.toString("utf8")) as IndexDoc;
    const annotations = {
      "io.containerd.image.name": "docker.io/library/app:1",
      "org.opencontainers.image.ref.name": "1",
    };
    const top = { mediaType: OCI_INDEX, digest: digests.inner, size: innerBytes.length, annotations };
    writeFileSync(
      join(layout, "index.json"),
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [top] }),
    );
    const dockerManifest = innerDoc.manifests
      .filter((m) => m.platform?.os === "linux")
      .map((m) => {
        const image = JSON.parse(readFileSync(join(layout, "blobs/sha256", m.digest.slice(7)), "utf8")) as {
          config: { digest: string };
          layers: { digest: string }[];
        };
        return {
          Config: `blobs/sha256/${image.config.digest.slice(7)}`,
          RepoTags: ["app:1"],
          Layers: image.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
        };
      });
    writeFileSync(join(layout, "manifest.json"), JSON.stringify(dockerManifest));
    const tar = join(scratch, "docker-save.tar");
    await run("tar", ["-C", layout, "-cf", tar, "."]);
    writeFileSync(`${tar}.gz`, gzipSync(readFileSync(tar)));

    const [image, ...others] = importCli([`${tar}.gz`, registry, "--repository-prefix", "shapes-proj"]);
    assert.equal(others.length, 0);
    assert.deepEqual(image?.references, [`${registry}/shapes-proj/app:1`]);
    assert.equal(await crane("digest", `${registry}/shapes-proj/app:1`), digests.inner);
    const raw = await agreedManifest(`${registry}/shapes-proj/app:1`);
    const children = (JSON.parse(raw) as IndexDoc).manifests;
    assert.deepEqual(
      image?.children?.map((c) => [c.platform, c.digest]),
      children.map((c) => [c.platform ? `${c.platform.os}/${c.platform.architecture}` : "?", c.digest]),
    );
    for (const tag of ["amd", "arm"])
      await crane("validate", "--remote", `${registry}/shapes-proj/app@${digests[tag]}`);
    assert.equal(
      await crane("manifest", `${registry}/shapes-proj/app@${digests.att}`),
      await crane("manifest", `${seed}@${digests.att}`),
    );
  });

  it("a nested index with an attestation under repository+tags, whole, then reduced to linux/arm64", async () => {
    const layout = join(scratch, "nested");
    await run("oras", ["cp", "-r", "--from-plain-http", `${seed}:nested`, "--to-oci-layout", `${layout}:nested`]);
    const tar = join(scratch, "nested.tar");
    await run("tar", ["-C", layout, "-cf", tar, "."]);
    const dest = `${registry}/shapes/nested`;
    const [whole] = importCli([tar, `${dest}:1`, `${dest}:stable`]);
    assert.deepEqual(whole?.references, [`${dest}:1`, `${dest}:stable`]);
    for (const tag of ["1", "stable"]) assert.equal(await crane("digest", `${dest}:${tag}`), digests.nested);
    assert.equal(await agreedManifest(`${dest}:1`), await crane("manifest", `${seed}:nested`));
    assert.deepEqual(
      whole?.children?.map((c) => [c.platform, c.digest]),
      [
        ["linux/amd64", digests.amd],
        ["linux/arm64", digests.arm],
        ["unknown/unknown", digests.att],
        ["linux/s390x", digests.s390],
      ],
    );
    assert.equal(await crane("digest", `${dest}@${digests.inner}`), digests.inner);
    assert.equal(whole?.sourceDigest, undefined);

    const [reduced] = importCli([tar, `${dest}:arm`, "--platform", "linux/arm64"]);
    assert.equal(reduced?.sourceDigest, digests.nested, "status keeps the archive's digest");
    assert.notEqual(reduced?.digest, digests.nested);
    assert.equal(await crane("digest", `${dest}:arm`), reduced?.digest);
    await crane("validate", "--remote", `${dest}@${digests.arm}`);
    // The nested index is reduced too (arm64 and its attestation), and the outer one names it by its new digest.
    const outer = JSON.parse(await agreedManifest(`${dest}:arm`)) as IndexDoc;
    assert.equal(outer.manifests.length, 1);
    const innerRef = `${dest}@${outer.manifests[0]?.digest ?? ""}`;
    const inner = JSON.parse(await agreedManifest(innerRef)) as IndexDoc;
    assert.deepEqual(
      inner.manifests.map((m) => m.digest),
      [digests.arm, digests.att],
    );
    assert.deepEqual(
      reduced?.children?.map((c) => c.platform),
      ["linux/arm64", "unknown/unknown"],
    );
    // The CLI's own lines say it too: the new digest, the archive's, each child's platform and digest.
    const said = airlift(
      ["import", tar, `${dest}:arm`, "--platform", "linux/arm64", "--plain-http", "--progress", "none"],
      {},
    );
    assert.equal(said.code, 0, said.stderr);
    assert.match(said.stdout, new RegExp(`-> ${dest}:arm ${reduced?.digest ?? "?"}\n`));
    assert.match(said.stdout, new RegExp(`reduced index, its digest differs from the archive's ${digests.nested}`));
    assert.match(said.stdout, new RegExp(`  linux/arm64 ${digests.arm}\n  unknown/unknown ${digests.att}\n`));
  });
});

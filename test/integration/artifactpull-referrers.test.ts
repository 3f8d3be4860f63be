// Signatures survive the trip back out: images signed by the real cosign (legacy `.sig` and a sigstore bundle
// referrer, `--key`, no transparency log) and an oras-attached SBOM are pulled with `airlift pull`; the layout then
// passes `cosign verify --local-image`, and imported as an archive into another repository it passes
// `cosign verify` against the registry, without airlift's verify block.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PullResult } from "../../src/transfer/pull-artifact.ts";
import { run, testEnv } from "../env/index.ts";
import { airlift } from "./cli-support.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-pull-referrers-"));
const cosignEnv = { COSIGN_PASSWORD: "test-password" };
let registry: string;
let key: string;

async function crane(...args: string[]): Promise<string> {
  return (await run("crane", [...args, "--insecure"])).stdout.trim();
}

async function image(ref: string, text: string): Promise<string> {
  const dir = mkdtempSync(join(scratch, "img-"));
  writeFileSync(join(dir, "f.txt"), text);
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "f.txt"]);
  await crane("append", "--oci-empty-base", "-f", join(dir, "l.tar"), "-t", ref);
  return crane("digest", ref);
}

async function sign(ref: string, legacy: boolean): Promise<void> {
  await run(
    "cosign",
    [
      "sign",
      "--key",
      `${key}.key`,
      "--tlog-upload=false",
      "--use-signing-config=false",
      "--allow-http-registry",
      "-y",
      ...(legacy ? ["--new-bundle-format=false"] : []),
      ref,
    ],
    { env: cosignEnv },
  );
}

async function cosignVerify(target: string[], pub = `${key}.pub`): Promise<void> {
  await run("cosign", ["verify", "--key", pub, "--insecure-ignore-tlog", "--allow-http-registry", ...target]);
}

function pull(ref: string, out: string): PullResult {
  const res = airlift(["pull", ref, out, "--plain-http", "--progress", "none", "--json"], {});
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout) as PullResult;
}

/** Tars a layout folder and imports it with the CLI; returns the digest the destination tag names. */
async function importLayout(layout: string, dest: string): Promise<string> {
  const tar = `${layout}.tar`;
  await run("tar", ["-C", layout, "-cf", tar, "."]);
  const res = airlift(["import", tar, dest, "--plain-http", "--progress", "none"], {});
  assert.equal(res.code, 0, res.stderr);
  return crane("digest", dest);
}

before(async () => {
  registry = (await testEnv()).registries.anonymous.host;
  key = join(scratch, "k");
  await run("cosign", ["generate-key-pair", "--output-key-prefix", key], { env: cosignEnv });
});

after(() => rmSync(scratch, { recursive: true, force: true }));

describe("ArtifactPull carries referrers into its layout", () => {
  it("a legacy .sig and an oras SBOM: cosign verify --local-image passes, and again after an import", async () => {
    const digest = await image(`${registry}/prov/legacy:1`, "legacy");
    await sign(`${registry}/prov/legacy@${digest}`, true);
    writeFileSync(join(scratch, "sbom.json"), '{"sbom":1}\n');
    await run(
      "oras",
      [
        "attach",
        "--plain-http",
        "--artifact-type",
        "application/vnd.example.sbom+json",
        `${registry}/prov/legacy@${digest}`,
        "sbom.json:application/json",
      ],
      { cwd: scratch },
    );
    const sigTag = `${digest.replace(":", "-")}.sig`;
    const sigDigest = await crane("digest", `${registry}/prov/legacy:${sigTag}`);
    const layout = join(scratch, "legacy");
    const result = pull(`${registry}/prov/legacy:1`, layout);
    assert.equal(result.manifestDigest, digest);
    const sig = result.referrers.find((r) => r.tag === sigTag);
    assert.equal(sig?.digest, sigDigest);
    const sbom = result.referrers.find((r) => r.artifactType === "application/vnd.example.sbom+json");
    assert.equal(sbom?.subject, digest);
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]?.digest, digest, "the pulled image stays the first entry");
    await cosignVerify(["--local-image", layout]);

    const back = await importLayout(layout, `${registry}/back/legacy:1`);
    assert.equal(back, digest);
    assert.equal(await crane("digest", `${registry}/back/legacy:${sigTag}`), sigDigest);
    await cosignVerify([`${registry}/back/legacy@${digest}`]);
    const listed = JSON.parse(
      (await run("oras", ["discover", "--plain-http", "--format", "json", `${registry}/back/legacy@${digest}`])).stdout,
    ) as { referrers?: { digest: string }[]; manifests?: { digest: string }[] };
    assert.ok((listed.referrers ?? listed.manifests ?? []).some((r) => r.digest === sbom?.digest));
    // Another key does not verify the carried signature: the check above is cosign's, not a formality.
    await run("cosign", ["generate-key-pair", "--output-key-prefix", join(scratch, "other")], { env: cosignEnv });
    await assert.rejects(cosignVerify(["--local-image", layout], join(scratch, "other.pub")));
  });

  it("a sigstore bundle referrer (tag schema on this registry): verified from the layout and after an import", async () => {
    const digest = await image(`${registry}/prov/bundle:1`, "bundle");
    await sign(`${registry}/prov/bundle@${digest}`, false);
    const layout = join(scratch, "bundle");
    const result = pull(`${registry}/prov/bundle:1`, layout);
    const bundles = result.referrers.filter((r) => r.artifactType?.startsWith("application/vnd.dev.sigstore.bundle"));
    assert.equal(bundles.length, 1, JSON.stringify(result.referrers));
    await cosignVerify(["--local-image", layout]);
    assert.equal(await importLayout(layout, `${registry}/back/bundle:1`), digest);
    await cosignVerify([`${registry}/back/bundle@${digest}`]);
  });

  it("an unsigned image pulls as before: one entry, no referrers, and cosign finds nothing to verify", async () => {
    await image(`${registry}/prov/plain:1`, "plain");
    const layout = join(scratch, "plain");
    const result = pull(`${registry}/prov/plain:1`, layout);
    assert.deepEqual(result.referrers, []);
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: unknown[] };
    assert.equal(index.manifests.length, 1);
    await assert.rejects(cosignVerify(["--local-image", layout]));
  });
});

// `airlift verify` against signatures the real cosign wrote: legacy `.sig` simple signing and sigstore bundles
// (OCI 1.1 referrers, here through the tag schema since the test registry has no referrers API), with keys from
// `cosign generate-key-pair`. Refusals: unsigned, another key, a payload naming another image.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { run, testEnv } from "../env/index.ts";
import { airlift } from "./cli-support.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-verify-"));
const cosignEnv = { COSIGN_PASSWORD: "test-password" };
let registry: string;
const BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";

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

async function keyPair(name: string): Promise<string> {
  await run("cosign", ["generate-key-pair", "--output-key-prefix", join(scratch, name)], { env: cosignEnv });
  return join(scratch, name);
}

async function sign(key: string, ref: string, legacy: boolean): Promise<void> {
  const format = legacy ? ["--new-bundle-format=false"] : [];
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
      ...format,
      ref,
    ],
    { env: cosignEnv },
  );
}

let k1: string;
let k2: string;

before(async () => {
  const env = await testEnv();
  registry = env.registries.anonymous.host;
  k1 = await keyPair("k1");
  k2 = await keyPair("k2");
});

describe("airlift verify with cosign signatures", () => {
  it("accepts a legacy .sig signature and names the key's fingerprint", async () => {
    const digest = await image(`${registry}/verify/legacy:1`, "legacy");
    await sign(k1, `${registry}/verify/legacy@${digest}`, true);
    const res = airlift(["verify", `${registry}/verify/legacy:1`, "--key", `${k1}.pub`, "--plain-http"], {});
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`verified .*${digest}`));
    assert.match(res.stdout, /simple-signing sha256:[0-9a-f]{64}: valid, key sha256:[0-9a-f]{64} \(ec-p256\)/);
    await run("cosign", [
      "verify",
      "--key",
      `${k1}.pub`,
      "--insecure-ignore-tlog",
      "--allow-http-registry",
      `${registry}/verify/legacy@${digest}`,
    ]);
  });

  it("accepts a sigstore bundle referrer", async () => {
    const digest = await image(`${registry}/verify/bundle:1`, "bundle");
    await sign(k1, `${registry}/verify/bundle@${digest}`, false);
    const res = airlift(["verify", `${registry}/verify/bundle:1`, "--key", `${k1}.pub`, "--plain-http"], {});
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /bundle sha256:[0-9a-f]{64}: valid, key sha256:/);
  });

  it("refuses an unsigned image (SignatureMissing) and another key's signature (SignatureKeyUnknown)", async () => {
    await image(`${registry}/verify/unsigned:1`, "unsigned");
    const missing = airlift(["verify", `${registry}/verify/unsigned:1`, "--key", `${k1}.pub`, "--plain-http"], {});
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /SignatureMissing/);
    const digest = await image(`${registry}/verify/other:1`, "other");
    await sign(k2, `${registry}/verify/other@${digest}`, true);
    const unknown = airlift(["verify", `${registry}/verify/other:1`, "--key", `${k1}.pub`, "--plain-http"], {});
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /SignatureKeyUnknown/);
  });

  it("refuses a valid signature whose payload names another image (SignatureInvalid)", async () => {
    const signed = await image(`${registry}/verify/swap:a`, "a");
    await sign(k1, `${registry}/verify/swap@${signed}`, true);
    const other = await image(`${registry}/verify/swap:b`, "b");
    await crane(
      "copy",
      `${registry}/verify/swap:${signed.replace(":", "-")}.sig`,
      `${registry}/verify/swap:${other.replace(":", "-")}.sig`,
    );
    const res = airlift(["verify", `${registry}/verify/swap:b`, "--key", `${k1}.pub`, "--plain-http"], {});
    assert.equal(res.code, 1);
    assert.match(res.stderr, /SignatureInvalid/);
  });
  it("refuses a bundle whose signature was flipped (SignatureInvalid)", async () => {
    const signed = await image(`${registry}/verify/flip:a`, "flip-a");
    await sign(k1, `${registry}/verify/flip@${signed}`, false);
    const index = JSON.parse(await crane("manifest", `${registry}/verify/flip:${signed.replace(":", "-")}`)) as {
      manifests: { digest: string }[];
    };
    const bundleManifest = JSON.parse(
      await crane("manifest", `${registry}/verify/flip@${index.manifests[0]?.digest ?? ""}`),
    ) as { layers: { digest: string }[] };
    const bundle = JSON.parse(
      await crane("blob", `${registry}/verify/flip@${bundleManifest.layers[0]?.digest ?? ""}`),
    ) as {
      dsseEnvelope: { signatures: { sig: string }[] };
    };
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0]?.sig ?? "", "base64");
    sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
    bundle.dsseEnvelope.signatures[0] = { ...bundle.dsseEnvelope.signatures[0], sig: sig.toString("base64") };
    writeFileSync(join(scratch, "flipped.json"), JSON.stringify(bundle));
    await run(
      "oras",
      ["attach", "--plain-http", "--artifact-type", BUNDLE, `${registry}/verify/flip:a`, `flipped.json:${BUNDLE}`],
      { cwd: scratch },
    );
    const res = airlift(["verify", `${registry}/verify/flip:a`, "--key", `${k1}.pub`, "--plain-http"], {});
    assert.equal(res.code, 0, "the intact bundle still verifies");
    await crane("copy", `${registry}/verify/flip:a`, `${registry}/verify/flipped:1`);
    await run(
      "oras",
      ["attach", "--plain-http", "--artifact-type", BUNDLE, `${registry}/verify/flipped:1`, `flipped.json:${BUNDLE}`],
      { cwd: scratch },
    );
    const refused = airlift(["verify", `${registry}/verify/flipped:1`, "--key", `${k1}.pub`, "--plain-http"], {});
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /SignatureInvalid/);
  });
});

// cosign in the verification tests: key pairs, signing without a transparency log (legacy .sig or a sigstore
// bundle referrer), one-layer images made with crane, a bundle whose signature is flipped, and an OCI layout of an
// image with its signatures (oras cp -r for referrers, the .sig tag by name) tarred for the bucket.
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../env/index.ts";

export const COSIGN_ENV = { COSIGN_PASSWORD: "test-password" };
export const BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

/** crane against the plain-HTTP test registries. */
export async function crane(...args: string[]): Promise<string> {
  return (await run("crane", [...args, "--insecure"])).stdout.trim();
}

/** A one-layer image holding `text`, pushed as `ref`; its digest. */
export async function seedImage(scratch: string, ref: string, text: string): Promise<string> {
  const dir = mkdtempSync(join(scratch, "img-"));
  writeFileSync(join(dir, "f.txt"), text);
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "f.txt"]);
  await crane("append", "--oci-empty-base", "-f", join(dir, "l.tar"), "-t", ref);
  return crane("digest", ref);
}

/** `cosign generate-key-pair` under `scratch/name`; returns the prefix (`.key` / `.pub`). */
export async function keyPair(scratch: string, name: string): Promise<string> {
  await run("cosign", ["generate-key-pair", "--output-key-prefix", join(scratch, name)], { env: COSIGN_ENV });
  return join(scratch, name);
}

/** `cosign sign --key` with no transparency log: legacy simple signing (.sig tag) or a bundle referrer. */
export async function sign(key: string, ref: string, form: "legacy" | "bundle"): Promise<void> {
  const format = form === "legacy" ? ["--new-bundle-format=false"] : [];
  const flags = ["--tlog-upload=false", "--use-signing-config=false", "--allow-http-registry", "-y"];
  await run("cosign", ["sign", "--key", `${key}.key`, ...flags, ...format, ref], { env: COSIGN_ENV });
}

/** `cosign verify --key` against a plain-HTTP registry, offline (no Rekor). */
export async function cosignVerify(key: string, ref: string): Promise<string> {
  const res = await run("cosign", [
    "verify",
    "--key",
    `${key}.pub`,
    "--insecure-ignore-tlog",
    "--allow-http-registry",
    ref,
  ]);
  return res.stdout;
}

/** The `.sig` tag cosign gives the signature of `digest`. */
export function sigTag(digest: string): string {
  return `${digest.replace(":", "-")}.sig`;
}

/** Attaches to `to@digest`, with oras, a copy of `repo@digest`'s bundle whose signature has one bit flipped. */
export async function attachFlippedBundle(scratch: string, repo: string, digest: string, to = repo): Promise<void> {
  const index = JSON.parse(await crane("manifest", `${repo}:${digest.replace(":", "-")}`)) as {
    manifests: { digest: string }[];
  };
  const manifest = JSON.parse(await crane("manifest", `${repo}@${index.manifests[0]?.digest ?? ""}`)) as {
    layers: { digest: string }[];
  };
  const bundle = JSON.parse(await crane("blob", `${repo}@${manifest.layers[0]?.digest ?? ""}`)) as {
    dsseEnvelope: { signatures: { sig: string }[] };
  };
  const first = bundle.dsseEnvelope.signatures[0];
  const sig = Buffer.from(first?.sig ?? "", "base64");
  sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
  bundle.dsseEnvelope.signatures[0] = { ...first, sig: sig.toString("base64") };
  const dir = mkdtempSync(join(scratch, "flip-"));
  writeFileSync(join(dir, "flipped.json"), JSON.stringify(bundle));
  await run(
    "oras",
    ["attach", "--plain-http", "--artifact-type", BUNDLE_TYPE, `${to}@${digest}`, `flipped.json:${BUNDLE_TYPE}`],
    { cwd: dir },
  );
}

/** An OCI layout tar of `repo:tag` with its referrers and, when given, cosign's `.sig` tag of `digest`. */
export async function layoutTar(scratch: string, repo: string, tag: string, withSigOf?: string): Promise<string> {
  const layout = mkdtempSync(join(scratch, "layout-"));
  await run("oras", ["cp", "-r", "--from-plain-http", `${repo}:${tag}`, "--to-oci-layout", `${layout}:${tag}`]);
  if (withSigOf) {
    const sig = sigTag(withSigOf);
    await run("oras", ["cp", "--from-plain-http", `${repo}:${sig}`, "--to-oci-layout", `${layout}:${sig}`]);
  }
  const tar = `${layout}.tar`;
  await run("tar", ["-C", layout, "-cf", tar, "."]);
  return tar;
}

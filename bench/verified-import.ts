// The verified import row of `npm run bench`: the same 1 GiB import with `--verify-key`, against the unverified
// preserve row of the same run. The image imported by the preserve row is signed there with cosign (a fresh key,
// no transparency log) and its `.sig` manifest saved into a small OCI layout with oras; the verified row's fresh
// registry gets that signature first (as an archive's carried `.sig` tag would be), then airlift imports the
// archive and verifies the digest before it writes the tag. Same content, same digest: only verification differs.
// The two rows alternate for BENCH_VERIFY_ROUNDS rounds (default 2) and the fastest of each is compared, since on a
// shared machine one slow run says more about the neighbours than about verification.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import type { RegistryEnv } from "../test/env/registry.ts";
import type { Measurement } from "./measure.ts";
import { run } from "../test/env/run.ts";

const COSIGN_ENV = { COSIGN_PASSWORD: "bench-password" };

/** A signature saved from one registry, to be placed in another. */
export interface SavedSignature {
  /** The public key file to verify with. */
  pub: string;
  /** `repository:sha256-<hex>.sig`. */
  repository: string;
  tag: string;
  layout: string;
}

/** Signs `repository:tag` in `reg` with a fresh key and saves the `.sig` manifest (a few KiB) into a layout. */
export async function signAndSave(
  reg: RegistryEnv,
  repository: string,
  tag: string,
  work: string,
): Promise<SavedSignature> {
  const dir = mkdtempSync(join(work, "cosign-"));
  await run("cosign", ["generate-key-pair", "--output-key-prefix", join(dir, "bench")], { env: COSIGN_ENV });
  const digest = (await run("crane", ["digest", "--insecure", `${reg.host}/${repository}:${tag}`])).stdout.trim();
  const flags = ["--tlog-upload=false", "--use-signing-config=false", "--allow-http-registry", "-y"];
  await run(
    "cosign",
    [
      "sign",
      "--key",
      join(dir, "bench.key"),
      ...flags,
      "--new-bundle-format=false",
      `${reg.host}/${repository}@${digest}`,
    ],
    { env: COSIGN_ENV },
  );
  const sigTag = `${digest.replace(":", "-")}.sig`;
  const layout = join(dir, "sig-layout");
  await run("oras", [
    "cp",
    "--from-plain-http",
    `${reg.host}/${repository}:${sigTag}`,
    "--to-oci-layout",
    `${layout}:${sigTag}`,
  ]);
  return { pub: join(dir, "bench.pub"), repository, tag: sigTag, layout };
}

/** Pushes the saved `.sig` manifest into `reg` under the same repository and tag. */
export async function placeSignature(saved: SavedSignature, reg: RegistryEnv): Promise<void> {
  await run("oras", [
    "cp",
    "--from-oci-layout",
    `${saved.layout}:${saved.tag}`,
    "--to-plain-http",
    `${reg.host}/${saved.repository}:${saved.tag}`,
  ]);
}

/** How the pair is run: each row in a fresh registry, alternated for `rounds` rounds. */
export interface PairOptions {
  rounds: number;
  work: string;
  withRegistry: <T>(name: string, fn: (reg: RegistryEnv) => Promise<T>) => Promise<T>;
  plain: (reg: RegistryEnv) => Promise<Measurement>;
  verified: (reg: RegistryEnv, pub: string) => Promise<Measurement>;
}

/** The fastest of each row over the rounds (the least disturbed by the machine's other load) and every wall time. */
export interface PairResult {
  plain: Measurement;
  verified: Measurement;
  plainWalls: number[];
  verifiedWalls: number[];
}

function fastest(ms: readonly Measurement[]): Measurement {
  const best = ms.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
  return best;
}

/** Runs the unverified and the verified import alternately; the first plain row's image is the one signed. */
export async function verifiedPair(o: PairOptions): Promise<PairResult> {
  let signature: SavedSignature | undefined;
  const plain: Measurement[] = [];
  const verified: Measurement[] = [];
  for (let round = 0; round < o.rounds; round++) {
    plain.push(
      await o.withRegistry(`airlift-plain-${round}`, async (reg) => {
        const m = await o.plain(reg);
        signature ??= await signAndSave(reg, "bench/airlift", "v1", o.work);
        return m;
      }),
    );
    const saved = signature;
    if (!saved) throw new Error("the unverified row left no signature");
    verified.push(
      await o.withRegistry(`airlift-verified-${round}`, async (reg) => {
        await placeSignature(saved, reg);
        return o.verified(reg, saved.pub);
      }),
    );
  }
  return {
    plain: fastest(plain),
    verified: fastest(verified),
    plainWalls: plain.map((m) => m.wallSeconds),
    verifiedWalls: verified.map((m) => m.wallSeconds),
  };
}

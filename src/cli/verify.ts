// `airlift verify REF --key k.pub`: checks an image's cosign signatures offline (legacy `.sig` simple signing and
// sigstore bundles attached as referrers) with the given public keys, and prints what it found: each signature,
// the key that verified it (by fingerprint) and the digests. Exit 0 when one valid signature names the image, 1 not.
import { Command } from "commander";
import { openRepositoryOf } from "../transfer/connection.ts";
import { verifyImage, VerifyError, type SignatureFinding, type Verification } from "../verify/index.ts";
import { CliError, EXIT_FAILURE, EXIT_OK, UsageError, type CliContext, type CliIO } from "./command.ts";
import { checkReference, withRegistry } from "./reference-check.ts";
import {
  addTransferFlags,
  defaultRegistry,
  readStdin,
  registryConnection,
  type TransferFlags,
} from "./transfer-flags.ts";
import type { TrustedKeySet } from "../transfer/verify-source.ts";
import { addTlogKeyOption, verifyKeySet } from "./verify-keys.ts";

interface VerifyFlags extends TransferFlags {
  key: string[];
  tlogKey?: string[];
}

/** The keys of every --key file (each may hold several PEM blocks), with the --tlog-key log keys. */
function readKeys(flags: VerifyFlags): TrustedKeySet {
  const set = verifyKeySet(flags, flags.key, "--key");
  if (!set) throw new UsageError("--key is required (a PEM public key file, cosign.pub)");
  return set;
}

const FORMAT_NAMES: Record<SignatureFinding["format"], string> = {
  "simple-signing": "legacy .sig simple-signing",
  bundle: "sigstore bundle",
};

function printVerification(v: Verification, reference: string, io: CliIO): void {
  io.stdout.write(`verified ${reference} (${v.subject})\n`);
  for (const f of v.findings) {
    const by = f.key ? `key ${f.key.fingerprint} (${f.key.kind})` : "no trusted key";
    io.stdout.write(
      `  ${FORMAT_NAMES[f.format]} ${f.source}: ${f.problem ? `refused: ${f.problem}` : "valid"}, ${by}\n`,
    );
  }
}

async function run(given: string, flags: VerifyFlags, io: CliIO): Promise<number> {
  const registry = defaultRegistry(flags, io.env);
  const parsed = checkReference(given, "reference", registry);
  const reference = withRegistry(given, "reference", registry);
  const keys = readKeys(flags);
  const connection = await registryConnection(flags, io.env, parsed.registry, {
    stdin: readStdin,
    warn: (line) => io.stderr.write(`airlift verify: warning: ${line}\n`),
  });
  const opened = openRepositoryOf(reference, connection);
  try {
    const target = opened.reference.digest ?? opened.reference.tag ?? "latest";
    const subject = (await opened.repository.manifests().resolve(target)).digest;
    printVerification(
      await verifyImage({ repository: opened.repository, subject, keys: keys.keys, logKeys: keys.logKeys }),
      reference,
      io,
    );
    return EXIT_OK;
  } catch (err) {
    if (err instanceof VerifyError) throw new CliError(`${err.code}: ${err.message}`, EXIT_FAILURE);
    throw err;
  } finally {
    await opened.close();
  }
}

/** The `verify` command. */
export function command(ctx: CliContext): Command {
  const cmd = new Command("verify")
    .description(
      "Verify an image's cosign signatures offline with public keys: legacy .sig signatures and sigstore bundles attached as OCI referrers. No Rekor, no Fulcio.",
    )
    .argument("<reference>", "registry/repository:tag or registry/repository@sha256:...")
    .option(
      "--key <file>",
      "a PEM public key file (repeat for several keys)",
      (v: string, acc: string[]) => [...acc, v],
      [],
    );
  return addTransferFlags(addTlogKeyOption(cmd))
    .addHelpText(
      "after",
      "\nExample:\n  airlift verify harbor.example.com/apps/demo:1.1.0 --key cosign.pub\n\nExit codes: 0 verified, 1 refused or failed, 2 usage",
    )
    .action(async (reference: string, flags: VerifyFlags) => {
      ctx.exitCode = await run(reference, flags, ctx.io);
    });
}

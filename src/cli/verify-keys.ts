// --verify-key of `airlift import` and `airlift pull` (and --key of `airlift verify`): PEM public key files read
// into the engine's trusted key set before anything touches the network, and the line printed for what verified.
// --tlog-key adds transparency-log (Rekor) keys a bundle's log entries must then verify with.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { trustedKeys, withLogKeys, type SourceVerification, type TrustedKeySet } from "../transfer/verify-source.ts";
import { UsageError } from "./command.ts";

/** The keys of the given files (each may hold several PEM blocks); undefined when none is given. */
export function keySetFromFiles(files: readonly string[] | undefined, flag: string): TrustedKeySet | undefined {
  if (!files || files.length === 0) return undefined;
  const material = files.map((file) => {
    try {
      return { origin: `${flag} ${file}`, pem: readFileSync(file, "utf8") };
    } catch (err) {
      throw new UsageError(`${flag} ${file}: ${(err as Error).message}`);
    }
  });
  try {
    return trustedKeys(material);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The --verify-key keys with the --tlog-key log keys; --tlog-key alone is a usage error. */
export function verifyKeySet(
  flags: { tlogKey?: string[] | undefined },
  keyFiles: readonly string[] | undefined,
  keyFlag: string,
): TrustedKeySet | undefined {
  const keys = keySetFromFiles(keyFiles, keyFlag);
  const log = keySetFromFiles(flags.tlogKey, "--tlog-key");
  if (log !== undefined && keys === undefined)
    throw new UsageError(`--tlog-key needs ${keyFlag}: log entries are checked on bundles a key verifies`);
  return keys && withLogKeys(keys, log);
}

/** Adds the repeatable `--tlog-key <file>` option. */
export function addTlogKeyOption(cmd: Command): Command {
  return cmd.option(
    "--tlog-key <file>",
    "a transparency-log (Rekor) PEM public key: a sigstore bundle's log entries must then verify with it (bundles without entries still verify by key); repeatable",
    (v: string, prev: string[] = []) => [...prev, v],
  );
}

/** Adds the repeatable `--verify-key <file>` option (and `--tlog-key`). */
export function addVerifyKeyOption(cmd: Command, what: string): Command {
  return addTlogKeyOption(
    cmd.option(
      "--verify-key <file>",
      `verify ${what}'s cosign signature (legacy .sig or sigstore bundle) offline with this PEM public key first; repeatable`,
      (v: string, prev: string[] = []) => [...prev, v],
    ),
  );
}

/** `verified <digest>: <format> signature <digest> by key <fingerprint> (<kind>)`. */
export function verifiedLine(v: SourceVerification): string {
  const format = v.format === "bundle" ? "sigstore bundle" : "legacy .sig";
  return `verified ${v.where}@${v.digest}: ${format} signature ${v.signatureDigest} by key ${v.keyFingerprint} (${v.keyKind})`;
}

// `airlift import s3://bucket/prefix/ REGISTRY --repository-prefix P [--match GLOB]...`: the drop-box once, from the
// command line, with the engine the ImageImport reconciler polls with (transfer/drop-box.ts): every matching
// archive not yet receipted at its current ETag is checked against the prefix's SHA256SUMS (signed, with
// --verify-key), imported under its RepoTags, and receipted in the bucket. One line per archive; the exit code is
// that of the first archive that did not make it.
import { userInfo, hostname } from "node:os";
import { openS3Client } from "../transfer/s3-connection.ts";
import { pollDropBox, type DropBoxResult, type KeyOutcome } from "../transfer/drop-box.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import { DEFAULT_MATCH } from "../transfer/drop-box-scan.ts";
import type { ChecksumPolicy } from "../transfer/drop-box-trust.ts";
import type { LayerCompressionMode } from "../transfer/layer-plan.ts";
import { CliError, EXIT_OK, UsageError, type CliIO } from "./command.ts";
import { hostProblem } from "./reference-check.ts";
import {
  defaultRegistry,
  exitCodeFor,
  readStdin,
  registryConnection,
  s3ConnectionFrom,
  type TransferFlags,
} from "./transfer-flags.ts";
import { verifyKeySet } from "./verify-keys.ts";
import { bucketProblem } from "./transfer-input.ts";
import { airliftVersion } from "./version.ts";

/** The flags a drop-box import reads. */
export interface DropBoxFlags extends TransferFlags {
  repositoryPrefix?: string;
  repositoryTemplate?: string;
  match?: string[];
  checksums: ChecksumPolicy;
  parallel: number;
  layerCompression: LayerCompressionMode;
  concurrency: number;
  verifyKey?: string[];
  tlogKey?: string[];
}

/** True when `src` and the flags ask for a drop-box: an s3:// folder (ending in "/") or --match. */
export function isDropBox(src: string, flags: { match?: string[] }): boolean {
  return /^s3:\/\/[^/]+(\/.*)?\/$|^s3:\/\/[^/]+$/i.test(src) || (flags.match ?? []).length > 0;
}

function location(src: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(src);
  if (!m) throw new UsageError(`a drop-box is an s3:// folder, e.g. s3://airgap/g/ (got "${src}")`);
  const problem = bucketProblem(m[1] ?? "");
  if (problem) throw new UsageError(`invalid S3 URL "${src}": ${problem}`);
  return { bucket: m[1] ?? "", prefix: m[2] ?? "" };
}

function registryOf(targets: string[], flags: DropBoxFlags, env: NodeJS.ProcessEnv): string {
  const host = targets[0] ?? defaultRegistry(flags, env);
  if (targets.length > 1 || host === undefined || host.includes("/"))
    throw new UsageError(
      "an s3:// folder is a drop-box of every archive under it: give the registry host only (e.g. harbor.example.com) with --repository-prefix or --repository-template; or name one archive object after the bucket, e.g. s3://bucket/images/app.tar",
    );
  const problem = hostProblem(host);
  if (problem) throw new UsageError(`invalid registry "${host}": ${problem}`);
  if ((flags.repositoryPrefix === undefined) === (flags.repositoryTemplate === undefined))
    throw new UsageError(
      "a drop-box needs --repository-prefix (each archive's images keep their RepoTags under it) or --repository-template (e.g. mirror/{dir}/{name}: named after the archive's key), one of them",
    );
  return host;
}

function outcomeLine(o: KeyOutcome): string {
  if (o.outcome === "imported") {
    const refs = (o.images ?? []).flatMap((i) => i.references.map((r) => `${r}@${i.digest}`));
    return `imported    ${o.name}: ${refs.join(", ")}`;
  }
  return `${o.outcome.padEnd(11)} ${o.name}: ${o.reason ?? "TransferFailed"}: ${o.message ?? ""}`;
}

function summary(result: DropBoxResult): string {
  const counts = { imported: 0, quarantined: 0, failed: 0 };
  for (const o of result.outcomes) counts[o.outcome]++;
  const skipped = result.matched.length - result.outcomes.length;
  return `${result.matched.length} archive(s) matched: ${counts.imported} imported, ${counts.quarantined} quarantined, ${counts.failed} failed, ${skipped} already imported (receipts)`;
}

/** Runs the drop-box once; returns the exit code. */
export async function importDropBox(src: string, targets: string[], flags: DropBoxFlags, io: CliIO): Promise<number> {
  const where = location(src);
  const registry = registryOf(targets, flags, io.env);
  const s3 = s3ConnectionFrom(flags, io.env);
  const keys = verifyKeySet(flags, flags.verifyKey, "--verify-key");
  const connection = await registryConnection(flags, io.env, registry, {
    stdin: readStdin,
    warn: (line) => io.stderr.write(`airlift import: warning: ${line}\n`),
  });
  const client = openS3Client(s3);
  try {
    const result = await pollDropBox({
      client,
      location: { ...where, match: flags.match ?? DEFAULT_MATCH },
      importOptions: {
        destination: { registry, repositoryPrefix: flags.repositoryPrefix },
        connection,
        layerCompression: flags.layerCompression,
        concurrency: flags.concurrency,
      },
      checksums: flags.checksums,
      ...(keys ? { keys: keys.keys } : {}),
      parallel: flags.parallel,
      ...(flags.repositoryTemplate ? { repositoryTemplate: flags.repositoryTemplate } : {}),
      importedBy: { identity: `${userInfo().username}@${hostname()}`, version: airliftVersion() },
      onOutcome: (o) => {
        if (!flags.json) io.stdout.write(`${outcomeLine(o)}\n`);
      },
    });
    if (flags.json) io.stdout.write(`${JSON.stringify(result.outcomes, null, 2)}\n`);
    else io.stderr.write(`${summary(result)}\n`);
    const first = result.outcomes.find((o) => o.outcome !== "imported");
    return first ? exitCodeFor(first.reason ?? "TransferFailed") : EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError || err instanceof CliError) throw err;
    const c = classifyTransferError(err);
    throw new CliError(`${c.reason}: ${c.message}`, exitCodeFor(c.reason));
  } finally {
    client.destroy();
  }
}

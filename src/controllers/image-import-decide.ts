// The ImageImport reconciler's decisions as pure functions of status and the inputs of an import, so "already
// done?" and "already failed on exactly these inputs?" are table-tested without an API server. Both read status
// only, never process memory, so they hold across restarts and leader changes.
import { createHash } from "node:crypto";
import { ConditionType } from "../api/conditions.ts";
import type { ImageImportStatus } from "../api/image-import.ts";
import { isConditionTrue } from "../kube/conditions.ts";

/** True when status records a good import of exactly this archive version (ETag) for this generation. */
export function alreadyImported(
  status: ImageImportStatus | undefined,
  generation: number | undefined,
  etag: string,
): boolean {
  if (!status || status.sourceRevision !== etag || status.observedGeneration !== generation) return false;
  return isConditionTrue(status.conditions, ConditionType.Ready);
}

/**
 * True when the last attempt ran on exactly these inputs and stalled: running it again would fail the same way
 * (and download the archive again), so it waits for an input to change.
 */
export function stalledOnInputs(status: ImageImportStatus | undefined, inputs: string): boolean {
  return status?.lastAttempt?.inputs === inputs && isConditionTrue(status.conditions, ConditionType.Stalled);
}

/** Everything an import depends on. Secrets enter by resourceVersion only: their values never reach the hash. */
export interface ImportInputs {
  generation: number | undefined;
  /** The archive's ETag. */
  etag: string;
  /** The registry host the images go to (the spec's, or the operator's default). */
  registry: string;
  /** The S3 endpoint the archive comes from (the spec's, or the operator's default). */
  s3Endpoint: string;
  /** `namespace/name@resourceVersion` of every Secret the attempt read. */
  secretVersions: readonly string[];
}

/** SHA-256 (hex) of an import's inputs: same inputs, same outcome. */
export function importInputs(input: ImportInputs): string {
  const parts = [
    input.generation ?? null,
    input.etag,
    input.registry,
    input.s3Endpoint,
    [...input.secretVersions].sort(),
  ];
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

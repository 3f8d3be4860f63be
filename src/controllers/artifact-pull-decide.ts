// The ArtifactPull reconciler's decisions as pure functions of spec, status and the engine's answers, so "already
// done?", the revision text, the failure's reason and whether to poll again are table-tested without an API server.
import type { ArtifactPullSpecDefaulted, ArtifactPullStatus } from "../api/artifact-pull.ts";
import { getCondition } from "../kube/conditions.ts";
import { StallingError, WaitingError, errorReason } from "../kube/errors.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import type { ResolvedArtifact } from "../transfer/resolve-tag.ts";

/** Files listed in status; the rest only counted (keeps the object far under the 2 MiB limit). */
export const MAX_STATUS_FILES = 100;

/** The Ready reason of a pull done with TLS verification switched off (a visible, explicit opt-out). */
export const REASON_TLS_DISABLED = "TLSVerificationDisabled";

/** Flux-style `<tag>@sha256:...`, or the digest alone when the spec pinned one. */
export function revisionOf(resolved: Pick<ResolvedArtifact, "tag" | "digest">): string {
  return resolved.tag ? `${resolved.tag}@${resolved.digest}` : resolved.digest;
}

/**
 * True when status already records a good pull of exactly this digest for this generation: nothing to pull.
 * A generation change (new prefix, extract switched on, ...) pulls again even for the same digest.
 */
export function alreadyPulled(status: ArtifactPullStatus | undefined, generation: number | undefined, digest: string): boolean {
  if (!status || status.resolvedDigest !== digest || status.observedGeneration !== generation) return false;
  return getCondition(status.conditions, "Ready")?.status === "True";
}

/** When to look again: a digest pin never changes, so it is not polled (config-sync#1332); undefined = never. */
export function nextCheckMs(spec: Pick<ArtifactPullSpecDefaulted, "source">, intervalMs: number): number | undefined {
  return spec.source.digest ? undefined : intervalMs;
}

/** A failure as the status shows it. */
export interface PullFailure {
  reason: string;
  transient: boolean;
  message: string;
}

/** Hints appended to a failure's message, by reason: what the user can change in the spec. */
const HINTS: Partial<Record<string, string>> = {
  UntrustedCertificate: "set spec.source.caBundleSecretRef to a Secret holding the registry's CA (ca.crt)",
  NoMatchingTag: "no tag matched the policy yet; it is checked again every interval",
};

/**
 * Classifies what a reconcile threw: the kube typed errors keep their own reason; engine errors go through the
 * one transfer classification (by type and code, never by message text).
 */
export function classifyPullFailure(err: unknown, what: string): PullFailure {
  const c = err instanceof StallingError || err instanceof WaitingError
    ? { reason: errorReason(err), transient: err instanceof WaitingError, message: err.message }
    : classifyTransferError(err);
  const hint = HINTS[c.reason];
  return { reason: c.reason, transient: c.transient, message: `failed to pull ${what}: ${c.message}${hint ? ` (${hint})` : ""}` };
}

/** Says in the Ready message how a policy picked its tag when Harbor's API was not there (a bounded guess). */
export function tagSourceNote(resolved: Pick<ResolvedArtifact, "tagSource">, maxTags: number): string {
  return resolved.tagSource === "ImageConfig" ? ` (no Harbor API: newest by image config created among at most ${maxTags} tags)` : "";
}

/** Status fields recording the inputs of a good pull (what alreadyPulled compares). */
export function pulledStatus(resolved: ResolvedArtifact, files: readonly { path: string; size: number; type?: string }[], now: string): Omit<ArtifactPullStatus, "conditions" | "observedGeneration"> {
  const regular = files.filter((f) => f.type === undefined || f.type === "file");
  return {
    ...(resolved.tag ? { resolvedTag: resolved.tag } : {}),
    resolvedDigest: resolved.digest,
    ...(resolved.pushTime ? { pushTime: resolved.pushTime } : {}),
    ...(resolved.tagSource ? { tagSource: resolved.tagSource } : {}),
    files: regular.slice(0, MAX_STATUS_FILES).map((f) => ({ path: f.path, size: f.size })),
    fileCount: regular.length,
    artifact: { revision: revisionOf(resolved) },
    lastPulled: now,
  };
}

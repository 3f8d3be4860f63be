// The ArtifactPull reconciler's decisions as pure functions of spec, status and the engine's answers, so "already
// done?", the revision text, the failure's message and whether to poll again are table-tested without an API server.
import type { ArtifactPullSpecDefaulted, ArtifactPullStatus } from "../api/artifact-pull.ts";
import type { Reason } from "../api/conditions.ts";
import { getCondition } from "../kube/conditions.ts";
import type { Summary } from "../kube/summarize.ts";
import { MAX_CONFIG_TAGS, type ResolvedArtifact } from "../transfer/resolve-tag.ts";

/** Files listed in status; the rest only counted (keeps the object far under the 2 MiB limit). */
export const MAX_STATUS_FILES = 100;

/** The Ready reason of a pull done with TLS verification switched off (a visible, explicit opt-out). */
const REASON_TLS_DISABLED: Reason = "TLSVerificationDisabled";

/** Flux-style `<tag>@sha256:...`, or the digest alone when the spec pinned one. */
export function revisionOf(resolved: Pick<ResolvedArtifact, "tag" | "digest">): string {
  return resolved.tag ? `${resolved.tag}@${resolved.digest}` : resolved.digest;
}

/**
 * True when status already records a good pull of exactly this digest for this generation: nothing to pull.
 * A generation change (new prefix, extract switched on, ...) pulls again even for the same digest.
 */
export function alreadyPulled(
  status: ArtifactPullStatus | undefined,
  generation: number | undefined,
  digest: string,
): boolean {
  if (!status || status.resolvedDigest !== digest || status.observedGeneration !== generation) return false;
  return getCondition(status.conditions, "Ready")?.status === "True";
}

/** When to look again: a digest pin never changes, so it is not polled (config-sync#1332); undefined = never. */
export function nextCheckMs(spec: Pick<ArtifactPullSpecDefaulted, "source">, intervalMs: number): number | undefined {
  return spec.source.digest ? undefined : intervalMs;
}

/** Hints appended to a failure's message, by reason: what the user can change in the spec. */
const HINTS: Partial<Record<Reason, string>> = {
  UntrustedCertificate: "set spec.source.caBundleSecretRef to a Secret holding the registry's CA (ca.crt)",
  NoMatchingTag: "no tag matched the policy yet; it is checked again every interval",
};

/** The condition message of a failure (classified by the skeleton, kube/reconcile-steps.ts), with a hint when one helps. */
export function pullFailureMessage(failure: { reason: Reason; message: string }, what: string): string {
  const hint = HINTS[failure.reason];
  return `failed to pull ${what}: ${failure.message}${hint ? ` (${hint})` : ""}`;
}

/** Says in the Ready message how a policy picked its tag when Harbor's API was not there (a bounded guess). */
export function tagSourceNote(resolved: Pick<ResolvedArtifact, "tagSource">, maxTags: number): string {
  return resolved.tagSource === "ImageConfig"
    ? ` (no Harbor API: newest by image config created among at most ${maxTags} tags)`
    : "";
}

/** Status fields recording the inputs of a good pull (what alreadyPulled compares). */
export function pulledStatus(
  resolved: ResolvedArtifact,
  files: readonly { path: string; size: number; type?: string }[],
  now: string,
): Omit<ArtifactPullStatus, "conditions" | "observedGeneration"> {
  const regular = files.filter((f) => f.type === undefined || f.type === "file");
  return {
    resolvedTag: resolved.tag,
    resolvedDigest: resolved.digest,
    pushTime: resolved.pushTime,
    tagSource: resolved.tagSource,
    files: regular.slice(0, MAX_STATUS_FILES).map((f) => ({ path: f.path, size: f.size })),
    fileCount: regular.length,
    artifact: { revision: revisionOf(resolved) },
    lastPulled: now,
  };
}

/** What a finished pull's summary says. */
export interface PulledInput {
  resolved: ResolvedArtifact;
  files: readonly { path: string; size: number; type?: string }[];
  /** `s3://bucket/prefix`. */
  destination: string;
  extract: boolean;
  /** spec.source.insecureSkipTLSVerify: Ready says so, with its own reason. */
  insecure: boolean;
  now: string;
}

/** Ready (Succeeded, or TLSVerificationDisabled when the spec switched verification off) with the pull's status fields. */
export function pulledSummary(input: PulledInput): Summary {
  const fields = pulledStatus(input.resolved, input.files, input.now);
  const extracted = input.extract ? `, ${fields.fileCount ?? 0} files extracted` : "";
  const insecure = input.insecure ? " (TLS verification disabled by spec.source.insecureSkipTLSVerify)" : "";
  const message = `pulled ${revisionOf(input.resolved)} to ${input.destination}${extracted}${tagSourceNote(input.resolved, MAX_CONFIG_TAGS)}${insecure}`;
  return {
    verdict: { kind: "ready", message, reason: input.insecure ? REASON_TLS_DISABLED : "Succeeded" },
    fields: { ...fields },
  };
}

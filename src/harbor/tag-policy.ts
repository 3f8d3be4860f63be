/**
 * Picks one tag from a repository's candidates by policy. Pure: no I/O, deterministic for a given input.
 * Policies mirror ArtifactPull's `tagPolicy`: `newestPushed`, `semver {range}`, `pattern {regex}` (a filter that
 * combines with either; alone it means "newest pushed among the matches").
 */
import semver from "semver";
import { CodedError } from "../net/coded-error.ts";

/** One tag that could be picked. */
export interface TagCandidate {
  tag: string;
  digest: string;
  /** ISO 8601: when this tag was pushed (Harbor's tag `push_time`). */
  pushTime: string;
  /** The config (or manifest) media type, when known. */
  mediaType?: string;
  /** The manifest's `artifactType` (or Harbor's `artifact_type`), when known. */
  artifactType?: string;
  /** True when the manifest refers to another one (`subject`): a signature, attestation or SBOM. */
  hasSubject?: boolean;
}

/** The policy; same shape as ArtifactPull's `spec.source.tagPolicy`. newestPushed and semver are exclusive. */
export interface TagPolicy {
  newestPushed?: object;
  semver?: { range: string };
  pattern?: { regex: string };
}

/** What counts as an attachment rather than a pullable artifact. */
export interface SelectOptions {
  /** Skip signature / attestation / SBOM tags and artifacts (default true). */
  excludeSignatures?: boolean;
  /** Attachment artifactTypes to pull anyway (e.g. an SBOM type), overriding the attachment filter. */
  allowArtifactTypes?: readonly string[];
}

/** Why a candidate was not considered. */
export type SkipReason =
  "signature-tag" | "digest-tag" | "subject" | "artifact-type" | "pattern" | "not-semver" | "semver-range";

/** The chosen candidate and what the choice looked at. */
export interface TagSelection {
  candidate: TagCandidate;
  /** Candidates that passed every filter. */
  considered: number;
  skipped: Readonly<Partial<Record<SkipReason, number>>>;
}

/** The policy itself is unusable: both newestPushed and semver, a bad regex, a bad range. */
export class InvalidTagPolicyError extends CodedError {
  constructor(message: string) {
    super(message, "INVALID_TAG_POLICY", false);
  }
}

/**
 * No candidate passed the policy; the message says how many were looked at and why each group was skipped. Not
 * transient in itself, but a later push may fix it: callers re-check on their interval.
 */
export class NoMatchingTagError extends CodedError {
  readonly total: number;
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;

  constructor(total: number, skipped: Partial<Record<SkipReason, number>>, policy: string) {
    const reasons = Object.entries(skipped)
      .map(([reason, count]) => `${count} ${reason}`)
      .join(", ");
    super(
      `no tag matches ${policy}: ${total} tags considered${reasons ? `, skipped ${reasons}` : ""}`,
      "NO_MATCHING_TAG",
      false,
    );
    this.total = total;
    this.skipped = skipped;
  }
}

const SIGNATURE_SUFFIXES = [".sig", ".att", ".sbom"];
/** cosign's attachment tags name the subject's digest: `sha256-<hex>[.sig|.att|...]`. */
const DIGEST_TAG = /^sha(256|512)-[0-9a-f]{16,}/i;
/**
 * artifactTypes of attachments rather than content: cosign and notation signatures, in-toto / DSSE attestations,
 * SBOMs and VEX documents. Everything else (images, Helm charts, ORAS file bundles) is pullable content: ArtifactPull
 * exists to pull ORAS artifacts as much as images.
 */
const ATTACHMENT_TYPE = /cosign|notary|notation|signature|in-toto|dsse|attestation|sbom|spdx|cyclonedx|syft|vex/i;
const MAX_REGEX_LENGTH = 512;

function attachmentReason(c: TagCandidate, options: SelectOptions): SkipReason | undefined {
  if (options.excludeSignatures === false) return undefined;
  const lower = c.tag.toLowerCase();
  if (SIGNATURE_SUFFIXES.some((s) => lower.endsWith(s))) return "signature-tag";
  if (DIGEST_TAG.test(c.tag)) return "digest-tag";
  if (c.hasSubject === true) return "subject";
  const type = c.artifactType;
  if (type !== undefined && ATTACHMENT_TYPE.test(type) && !(options.allowArtifactTypes ?? []).includes(type))
    return "artifact-type";
  return undefined;
}

function compileRegex(policy: TagPolicy): RegExp | undefined {
  const source = policy.pattern?.regex;
  if (source === undefined) return undefined;
  if (source.length > MAX_REGEX_LENGTH)
    throw new InvalidTagPolicyError(`pattern.regex is longer than ${MAX_REGEX_LENGTH} characters`);
  try {
    return new RegExp(source, "u");
  } catch (err) {
    throw new InvalidTagPolicyError(`pattern.regex is not a valid regular expression: ${(err as Error).message}`);
  }
}

function compileRange(policy: TagPolicy): semver.Range | undefined {
  if (policy.semver === undefined) return undefined;
  if (policy.newestPushed !== undefined)
    throw new InvalidTagPolicyError("tagPolicy.newestPushed and tagPolicy.semver are exclusive");
  try {
    const plain = new semver.Range(policy.semver.range);
    // Like Flux's (Masterminds) semver: a range that names any prerelease admits prereleases everywhere in it.
    const asksForPrerelease = plain.set.some((comparators) =>
      comparators.some((c) => c.semver instanceof semver.SemVer && c.semver.prerelease.length > 0),
    );
    return asksForPrerelease ? new semver.Range(policy.semver.range, { includePrerelease: true }) : plain;
  } catch {
    throw new InvalidTagPolicyError(`semver.range ${JSON.stringify(policy.semver.range)} is not a valid semver range`);
  }
}

/** A `v` prefix is allowed; nothing looser (no `1.2`, no `latest`). */
export function parseTagVersion(tag: string): semver.SemVer | undefined {
  const text = tag.startsWith("v") || tag.startsWith("V") ? tag.slice(1) : tag;
  return semver.parse(text) ?? undefined;
}

function pushMillis(c: TagCandidate): number {
  const ms = Date.parse(c.pushTime);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

/** Code-point order, not locale order: the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Newer push first; ties: greater tag name, then greater digest. Negative when `a` wins. */
export function compareNewestPushed(a: TagCandidate, b: TagCandidate): number {
  return pushMillis(b) - pushMillis(a) || compareText(b.tag, a.tag) || compareText(b.digest, a.digest);
}

function describePolicy(policy: TagPolicy): string {
  const parts: string[] = [];
  if (policy.semver) parts.push(`semver ${JSON.stringify(policy.semver.range)}`);
  else parts.push("newestPushed");
  if (policy.pattern) parts.push(`pattern ${JSON.stringify(policy.pattern.regex)}`);
  return parts.join(" + ");
}

/**
 * Picks the tag the policy names. Filters in order: attachments (unless `excludeSignatures: false`), the
 * pattern, then for semver the version grammar and range (prereleases only when the range itself names a
 * prerelease, e.g. `>=1.0.0-0`). Throws NoMatchingTagError when nothing is left.
 */
export function selectTag(
  candidates: readonly TagCandidate[],
  policy: TagPolicy,
  options: SelectOptions = {},
): TagSelection {
  const regex = compileRegex(policy);
  const range = compileRange(policy);
  const skipped: Partial<Record<SkipReason, number>> = {};
  const skip = (reason: SkipReason): void => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  const kept: { c: TagCandidate; version?: semver.SemVer }[] = [];
  for (const c of candidates) {
    const attachment = attachmentReason(c, options);
    if (attachment) {
      skip(attachment);
      continue;
    }
    if (regex && !regex.test(c.tag)) {
      skip("pattern");
      continue;
    }
    if (!range) {
      kept.push({ c });
      continue;
    }
    const version = parseTagVersion(c.tag);
    if (!version) skip("not-semver");
    else if (!range.test(version)) skip("semver-range");
    else kept.push({ c, version });
  }
  if (kept.length === 0) throw new NoMatchingTagError(candidates.length, skipped, describePolicy(policy));
  kept.sort(
    (a, b) => (a.version && b.version ? semver.rcompare(a.version, b.version) : 0) || compareNewestPushed(a.c, b.c),
  );
  const best = kept[0] as { c: TagCandidate };
  return { candidate: best.c, considered: kept.length, skipped };
}

// The openAPIV3Schema of ArtifactPull, mirroring artifact-pull.ts.
import { STATUS_LIMITS } from "./meta.ts";
import { ARTIFACT_PULL_DEFAULTS, TAG_SOURCES, type ArtifactPullSource, type TagPolicy } from "./artifact-pull.ts";
import {
  artifactRef,
  conditions,
  endpointsStatus,
  DIGEST_PATTERN,
  duration,
  noLeadingSlash,
  lastHandledReconcileAt,
  observedGeneration,
  PLATFORM_PATTERN,
  PROJECT_PATTERN,
  registryConnectionProperties,
  registryHost,
  REPOSITORY_PATTERN,
  s3ConnectionProperties,
  TAG_PATTERN,
} from "./common-schema.ts";
import { verifyBlock } from "./verify-schema.ts";
import { arr, bool, int, obj, oneOf, str, time, type SchemaNode } from "./openapi-schema.ts";

const DIGEST_RE = new RegExp(DIGEST_PATTERN);

const tagPolicy = obj(
  "Pick a tag by policy.",
  {
    newestPushed: obj("The newest by Harbor's push_time.", {}),
    semver: obj(
      "The highest version in a range.",
      { range: str("A semver range, e.g. >=1.2.0 <2.0.0.", { minLength: 1, maxLength: 256 }) },
      { required: ["range"] },
    ),
    pattern: obj(
      "Only tags matching a regular expression; alone, the newest pushed among them.",
      { regex: str("An RE2-compatible regular expression, e.g. ^v1[.].*.", { minLength: 1, maxLength: 256 }) },
      { required: ["regex"] },
    ),
  },
  {
    rules: [
      {
        rule: "!(has(self.newestPushed) && has(self.semver))",
        message: "tagPolicy.newestPushed and tagPolicy.semver are exclusive: pick one (pattern may narrow either)",
        check: (p: TagPolicy) => !(p.newestPushed && p.semver),
      },
      {
        rule: "has(self.newestPushed) || has(self.semver) || has(self.pattern)",
        message: "tagPolicy must set newestPushed, semver or pattern",
        check: (p: TagPolicy) => !!(p.newestPushed ?? p.semver ?? p.pattern),
      },
    ],
  },
);

const source = obj(
  "The Harbor artifact.",
  {
    registry: registryHost(),
    project: str("Harbor project.", { minLength: 1, maxLength: 255, pattern: PROJECT_PATTERN }),
    repository: str("Repository inside the project.", { minLength: 1, maxLength: 255, pattern: REPOSITORY_PATTERN }),
    tag: str("A fixed tag.", { pattern: TAG_PATTERN, maxLength: 128 }),
    digest: str("A fixed digest, sha256:<64 hex>; pulled once.", {
      maxLength: 71,
      rules: [
        {
          rule: `self.matches('${DIGEST_PATTERN}')`,
          message: "source.digest must be sha256: followed by 64 lowercase hex characters",
          check: (d: string) => DIGEST_RE.test(d),
        },
      ],
    }),
    tagPolicy,
    excludeSignatures: bool("Skip cosign .sig/.att/.sbom tags and artifacts with a subject or artifactType.", {
      default: ARTIFACT_PULL_DEFAULTS.excludeSignatures,
    }),
    platform: str("Platform picked from an image index, os/arch[/variant].", {
      pattern: PLATFORM_PATTERN,
      maxLength: 64,
      default: ARTIFACT_PULL_DEFAULTS.platform,
    }),
    ...registryConnectionProperties(),
  },
  {
    required: ["project", "repository"],
    rules: [
      {
        rule: "(has(self.tag) ? 1 : 0) + (has(self.digest) ? 1 : 0) + (has(self.tagPolicy) ? 1 : 0) == 1",
        message: "exactly one of source.tag, source.digest or source.tagPolicy must be set",
        check: (s: ArtifactPullSource) => [s.tag, s.digest, s.tagPolicy].filter((v) => v !== undefined).length === 1,
      },
    ],
  },
);

const destination = obj(
  "The bucket side.",
  {
    s3: obj(
      "A prefix in an S3-compatible bucket.",
      {
        ...s3ConnectionProperties(),
        prefix: str("Key prefix the layout and extracted files go under, e.g. apps/demo/.", {
          maxLength: 1024,
          rules: [noLeadingSlash("destination.s3.prefix")],
        }),
      },
      { required: ["bucket", "prefix"] },
    ),
  },
  { required: ["s3"] },
);

/** spec. */
export const artifactPullSpecSchema: SchemaNode = obj(
  "Desired state: which artifact goes where.",
  {
    source,
    destination,
    extract: bool("Also extract the layers' files.", { default: ARTIFACT_PULL_DEFAULTS.extract }),
    extractLimits: obj(
      "Caps of extraction.",
      {
        maxTotalBytes: int("Bytes written, all files together.", {
          minimum: 1,
          default: ARTIFACT_PULL_DEFAULTS.extractLimits.maxTotalBytes,
        }),
        maxFiles: int("Regular files written.", { minimum: 1, default: ARTIFACT_PULL_DEFAULTS.extractLimits.maxFiles }),
      },
      { default: {} },
    ),
    interval: duration("How often to look for a newer tag; ignored for a digest.", {
      min: "10s",
      default: ARTIFACT_PULL_DEFAULTS.interval,
    }),
    verify: verifyBlock("the pulled artifact"),
    suspend: bool("Stop reconciling this object.", { default: ARTIFACT_PULL_DEFAULTS.suspend }),
  },
  { required: ["source", "destination"] },
);

/** status. */
export const artifactPullStatusSchema: SchemaNode = obj("Observed state.", {
  observedGeneration: observedGeneration(),
  lastHandledReconcileAt: lastHandledReconcileAt(),
  conditions: conditions(),
  endpoints: endpointsStatus(),
  resolvedTag: str("The tag picked."),
  resolvedDigest: str("Digest of the pulled manifest."),
  pushTime: time("Harbor's push_time of the artifact."),
  tagSource: oneOf("Where the tag came from.", TAG_SOURCES),
  files: arr(
    "The first extracted files.",
    obj(
      "One file.",
      { path: str("Path under the prefix."), size: int("Bytes.", { minimum: 0 }) },
      { required: ["path", "size"] },
    ),
    { maxItems: STATUS_LIMITS.files },
  ),
  fileCount: int("Number of extracted files, all of them.", { minimum: 0 }),
  artifact: artifactRef(),
  lastPulled: time("When the artifact was last pulled."),
});

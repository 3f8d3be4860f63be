// The openAPIV3Schema of ImageImport, mirroring image-import.ts. CEL rules catch at `kubectl apply` time the
// mistakes a reconciler would otherwise only report as Stalled.
import { STATUS_LIMITS } from "./meta.ts";
import {
  CHECKSUM_POLICIES,
  DROP_BOX_DEFAULTS,
  IMAGE_IMPORT_DEFAULTS,
  LAYER_COMPRESSIONS,
  type ImageImportS3Source,
  type ImageImportSpec,
  type ImageSelector,
} from "./image-import.ts";
import {
  conditions,
  duration,
  endpointsStatus,
  noLeadingSlash,
  lastHandledReconcileAt,
  observedGeneration,
  PLATFORM_PATTERN,
  registryConnectionProperties,
  registryHost,
  REPOSITORY_PATTERN,
  s3ConnectionProperties,
  tagList,
} from "./common-schema.ts";
import { verifyBlock } from "./verify-schema.ts";
import { arr, bool, int, obj, oneOf, str, time, type SchemaNode } from "./openapi-schema.ts";

function repository(description: string): SchemaNode {
  return str(description, { minLength: 1, maxLength: 255, pattern: REPOSITORY_PATTERN });
}

const source = obj(
  "Where the archive is.",
  {
    s3: obj(
      "An object in an S3-compatible bucket: a docker-archive (docker save) or OCI archive tar, plain or gzip.",
      {
        ...s3ConnectionProperties(),
        key: str("Object key of the archive, e.g. g/oracle_db.tar; exclusive with prefix.", {
          minLength: 1,
          maxLength: 1024,
          rules: [noLeadingSlash("source.s3.key")],
        }),
        prefix: str(
          'A drop-box: every archive under this folder that match selects is imported, each once per ETag, new ones as they appear (polled every spec.interval); exclusive with key. "" is the whole bucket.',
          { maxLength: 1024, rules: [noLeadingSlash("source.s3.prefix")] },
        ),
        match: arr(
          `Globs over keys relative to the prefix, e.g. *.tar or g/**/*.tar.gz; default ${DROP_BOX_DEFAULTS.match.join(", ")}.`,
          str("A glob (*, **, ?, [...], {a,b}).", { minLength: 1, maxLength: 256 }),
          { minItems: 1, maxItems: 32 },
        ),
        checksums: oneOf(
          "A drop-box's check of each archive against the prefix's SHA256SUMS before anything is pushed: auto (when the list is there), required (no list, no import) or off. With spec.verify keys the list must also carry a valid SHA256SUMS.sig. Default auto.",
          CHECKSUM_POLICIES,
        ),
      },
      {
        required: ["bucket"],
        rules: [
          {
            rule: "has(self.key) != has(self.prefix)",
            message: "source.s3 names one archive (key) or a drop-box (prefix): exactly one of them",
            check: (s3: ImageImportS3Source) => (s3.key === undefined) !== (s3.prefix === undefined),
          },
          {
            rule: "has(self.prefix) || !(has(self.match) || has(self.checksums))",
            message: "source.s3.match and source.s3.checksums belong to a drop-box: set source.s3.prefix",
            check: (s3: ImageImportS3Source) =>
              s3.prefix !== undefined || (s3.match === undefined && s3.checksums === undefined),
          },
        ],
      },
    ),
  },
  { required: ["s3"] },
);

const destination = obj("The registry side.", {
  registry: registryHost(),
  repository: repository("Repository path, e.g. library/oracle-db."),
  tags: tagList("Tags to push; exclusive with rewrite."),
  rewrite: obj("Keep the archive's RepoTags, rewritten onto the destination; exclusive with tags.", {
    registry: registryHost(),
    repositoryPrefix: str("Prepended to each RepoTag's repository, e.g. team/.", {
      maxLength: 128,
      pattern: "^([a-z0-9]+(([._]|__|-+)[a-z0-9]+)*/)+$",
    }),
  }),
  repositoryTemplate: str(
    "A drop-box's naming template instead of rewrite: the repository each archive's images go to, from its key below the prefix: {name} (the file name without .tar/.tar.gz/.tgz) and {dir} (its folder), lowercased, e.g. mirror/{dir}/{name}; the tags stay the archive's own.",
    { minLength: 1, maxLength: 255, pattern: "^[a-z0-9._/{}-]+$" },
  ),
  ...registryConnectionProperties(),
});

const imageSelector = obj(
  "One archive entry to import.",
  {
    source: {
      description: "A RepoTag of the archive (name:tag) or a zero-based index into its manifest list.",
      "x-kubernetes-int-or-string": true,
      minLength: 1,
      maxLength: 512,
      rules: [
        {
          rule: "type(self) == string || self >= 0",
          message: "images[].source must be a RepoTag of the archive (name:tag) or a zero-based index",
          check: (self: string | number) => typeof self === "string" || self >= 0,
        },
      ],
    },
    repository: repository("Repository for this image; overrides destination.repository and rewrite."),
    tags: tagList("Tags for this image; override destination.tags and the RepoTags."),
  },
  { required: ["source"] },
);

const everyImageHas = (spec: ImageImportSpec, field: keyof ImageSelector): boolean =>
  spec.images !== undefined && spec.images.every((i) => i[field] !== undefined);

/** spec. */
export const imageImportSpecSchema: SchemaNode = obj(
  "Desired state: which archive goes where.",
  {
    source,
    destination,
    images: arr(
      "Entries of a multi-image archive to import, optionally renamed; default: every image.",
      imageSelector,
      {
        minItems: 1,
        maxItems: 64,
      },
    ),
    platforms: arr(
      "Keep only these platforms (os/arch[/variant]) of a multi-arch index: a reduced index is pushed, whose digest differs from the archive's (status.images[].sourceDigest keeps that one). Default: the whole index.",
      str("A platform, os/arch[/variant].", { pattern: PLATFORM_PATTERN, maxLength: 64 }),
      { minItems: 1, maxItems: 32 },
    ),
    layerCompression: oneOf(
      "preserve pushes layers as archived; gzip or zstd compresses the others into it (zstd: OCI media type); none pushes them uncompressed.",
      LAYER_COMPRESSIONS,
      {
        default: IMAGE_IMPORT_DEFAULTS.layerCompression,
      },
    ),
    concurrency: int("Blobs uploaded at once.", {
      format: "int32",
      minimum: 1,
      maximum: 16,
      default: IMAGE_IMPORT_DEFAULTS.concurrency,
    }),
    verify: verifyBlock("each imported image (or index)"),
    suspend: bool("Stop reconciling this object.", { default: IMAGE_IMPORT_DEFAULTS.suspend }),
    interval: duration(`A drop-box's poll period; default ${DROP_BOX_DEFAULTS.interval}.`, { min: "5s" }),
    parallelImports: int(`A drop-box's archives imported at once; default ${DROP_BOX_DEFAULTS.parallelImports}.`, {
      format: "int32",
      minimum: 1,
      maximum: 8,
    }),
  },
  {
    required: ["source", "destination"],
    rules: [
      {
        rule: "!has(self.source.s3.prefix) || (has(self.destination.rewrite) != has(self.destination.repositoryTemplate) && !has(self.images) && !has(self.destination.tags) && !has(self.destination.repository))",
        message:
          "a drop-box (source.s3.prefix) names each archive's images by their RepoTags (destination.rewrite) or by its key (destination.repositoryTemplate), one of the two; not tags, repository or images",
        check: (s: ImageImportSpec) =>
          s.source.s3.prefix === undefined ||
          (!!s.destination.rewrite !== !!s.destination.repositoryTemplate &&
            !s.images &&
            !s.destination.tags &&
            !s.destination.repository),
      },
      {
        rule: "has(self.source.s3.prefix) || !has(self.destination.repositoryTemplate)",
        message:
          "destination.repositoryTemplate names the archives of a drop-box: set source.s3.prefix, or use repository",
        check: (s: ImageImportSpec) =>
          s.source.s3.prefix !== undefined || s.destination.repositoryTemplate === undefined,
      },
      {
        rule: "!(has(self.destination.tags) && has(self.destination.rewrite))",
        message:
          "destination.tags and destination.rewrite are exclusive: tags names the pushed image, rewrite keeps the archive's RepoTags",
        check: (s: ImageImportSpec) => !(s.destination.tags && s.destination.rewrite),
      },
      {
        rule: "has(self.destination.rewrite) || has(self.destination.repositoryTemplate) || has(self.destination.tags) || (has(self.images) && self.images.all(i, has(i.tags)))",
        message:
          "destination.tags must list at least one tag, unless destination.rewrite (or a drop-box's repositoryTemplate) keeps the archive's tags or every images[] entry sets tags",
        check: (s: ImageImportSpec) =>
          !!s.destination.rewrite ||
          !!s.destination.repositoryTemplate ||
          !!s.destination.tags ||
          everyImageHas(s, "tags"),
      },
      {
        rule: "has(self.destination.rewrite) || has(self.destination.repositoryTemplate) || has(self.destination.repository) || (has(self.images) && self.images.all(i, has(i.repository)))",
        message:
          "destination.repository must be set, unless destination.rewrite keeps the archive's repositories, a drop-box's repositoryTemplate names them, or every images[] entry sets repository",
        check: (s: ImageImportSpec) =>
          !!s.destination.rewrite ||
          !!s.destination.repositoryTemplate ||
          !!s.destination.repository ||
          everyImageHas(s, "repository"),
      },
    ],
  },
);

/** status. */
export const imageImportStatusSchema: SchemaNode = obj("Observed state.", {
  observedGeneration: observedGeneration(),
  lastHandledReconcileAt: lastHandledReconcileAt(),
  conditions: conditions(),
  endpoints: endpointsStatus(),
  images: arr(
    "Images pushed by the last import.",
    obj(
      "One pushed image.",
      {
        source: str("The archive entry: its first RepoTag, or #<index> when it has none."),
        reference: str("registry/repository:tag it was pushed to."),
        digest: str("Digest of the pushed manifest."),
        mediaType: str("Media type of the pushed manifest."),
        size: int("Bytes of the image's blobs as pushed.", { minimum: 0 }),
        sourceDigest: str("The archive's index digest, when a platforms subset pushed a different (reduced) index."),
        children: arr(
          "For an index (multi-arch image): each child image, pushed before the index.",
          obj(
            "One child of the index.",
            { platform: str("os/arch[/variant] from the index entry."), digest: str("Digest of the child manifest.") },
            { required: ["platform", "digest"] },
          ),
          { maxItems: 64 },
        ),
        referrers: arr(
          "Signatures, attestations and SBOMs from the archive pushed after what they describe.",
          obj(
            "One referrer.",
            {
              digest: str("Digest of the referrer manifest."),
              subject: str("Digest of the manifest it describes."),
              via: str("tag (cosign's sha256-<hex>.sig/.att/.sbom tag), referrers-api or tag-schema."),
            },
            { required: ["digest", "subject", "via"] },
          ),
          { maxItems: 64 },
        ),
      },
      { required: ["source", "reference", "digest", "mediaType", "size"] },
    ),
    { maxItems: STATUS_LIMITS.images },
  ),
  dropBox: obj("A drop-box's counts over the archives matched now, and its most recent outcomes.", {
    matched: int("Archives the patterns match now.", { minimum: 0 }),
    imported: int("Matched archives imported at their current ETag (with a receipt in the bucket).", { minimum: 0 }),
    quarantined: int("Matched archives refused by the checksums (ChecksumMismatch, NotListed, a signature reason).", {
      minimum: 0,
    }),
    failed: int("Matched archives whose import failed for another reason.", { minimum: 0 }),
    pending: int("Matched archives not settled yet: new, replaced, or waiting for a retry.", { minimum: 0 }),
    lastPollAt: time("When the prefix was last listed."),
    checksumList: obj(
      "The SHA256SUMS the last poll trusted.",
      {
        etag: str("Its ETag."),
        signedBy: str("sha256 fingerprint of the key whose SHA256SUMS.sig verified it."),
      },
      { required: ["etag"] },
    ),
    outcomesConfigMap: str("The ConfigMap (same namespace) listing every archive's outcome, one line each."),
    recent: arr(
      "The most recent outcomes, newest first.",
      obj(
        "One archive's outcome.",
        {
          name: str("The key relative to the prefix."),
          etag: str("The ETag it was settled at."),
          outcome: oneOf("What happened.", ["imported", "quarantined", "failed"]),
          reason: str("The reason of a quarantine or failure (the catalogue's)."),
          message: str("What went wrong, and what to fix."),
          images: arr("reference@digest of each image pushed.", str("A pushed reference."), { maxItems: 64 }),
          at: time("When."),
        },
        { required: ["name", "etag", "outcome", "at"] },
      ),
      { maxItems: 50 },
    ),
  }),
  progress: obj(
    "Byte progress of the import under way.",
    {
      bytesDone: int("Bytes committed by the registry.", { minimum: 0 }),
      bytesTotal: int("Bytes to push.", { minimum: 0 }),
    },
    { required: ["bytesDone", "bytesTotal"] },
  ),
  sourceRevision: str("ETag of the imported archive."),
  startedAt: time("When the current or last import started."),
  completedAt: time("When the last import completed."),
  lastAttempt: obj(
    "Input of the last attempt, successful or not.",
    {
      revision: str("The archive's ETag."),
      generation: int("metadata.generation of the spec.", { minimum: 0 }),
      inputs: str(
        "SHA-256 of everything the attempt depended on (generation, ETag, endpoints, the referenced Secrets' resourceVersions; never their values). An attempt that stalled is not repeated on the same inputs.",
        { maxLength: 64 },
      ),
    },
    { required: ["revision", "generation"] },
  ),
});

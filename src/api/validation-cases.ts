// The table of invalid objects and the message each must be refused with: one row per schema or CEL rule that
// catches a user mistake. The unit test runs it through parse.ts, the integration test through the API server, so
// both sides refuse the same objects.
import { sampleArtifactPull, sampleImageImport, sampleOciSync } from "./sample-objects.ts";
import type { ImageImport } from "./image-import.ts";
import type { ArtifactPull } from "./artifact-pull.ts";
import type { OciSync } from "./oci-sync.ts";

/** One invalid object. */
export interface InvalidCase {
  name: string;
  /** Builds the invalid object (a fresh one per call), named `name`. */
  build(name: string, namespace: string): ImageImport | ArtifactPull | OciSync;
  /** Part of the message both the API server and parse.ts give. */
  message: string;
  /** The field the message must name, where the message alone is generic ("should match"). */
  path?: string;
}

function importCase(name: string, message: string, ...rest: [path: string, mutate: (o: ImageImport) => void] | [mutate: (o: ImageImport) => void]): InvalidCase {
  const [path, mutate] = rest.length === 2 ? rest : [undefined, rest[0]];
  return { name, message, path, build: (n, ns) => withMutation(sampleImageImport(n, ns), mutate) };
}
function pullCase(name: string, message: string, ...rest: [path: string, mutate: (o: ArtifactPull) => void] | [mutate: (o: ArtifactPull) => void]): InvalidCase {
  const [path, mutate] = rest.length === 2 ? rest : [undefined, rest[0]];
  return { name, message, path, build: (n, ns) => withMutation(sampleArtifactPull(n, ns), mutate) };
}
function syncCase(name: string, message: string, ...rest: [path: string, mutate: (o: OciSync) => void] | [mutate: (o: OciSync) => void]): InvalidCase {
  const [path, mutate] = rest.length === 2 ? rest : [undefined, rest[0]];
  return { name, message, path, build: (n, ns) => withMutation(sampleOciSync(n, ns), mutate) };
}
function withMutation<T>(obj: T, mutate: (o: T) => void): T {
  mutate(obj);
  return obj;
}

const DIGEST = `sha256:${"a".repeat(64)}`;

/** Every rule, one row each. */
export const INVALID_CASES: readonly InvalidCase[] = [
  importCase("ImageImport without destination.tags or rewrite", "destination.tags must list at least one tag", (o) => {
    delete o.spec.destination.tags;
  }),
  importCase("ImageImport with empty destination.tags", "should have at least 1 items", "spec.destination.tags", (o) => {
    o.spec.destination.tags = [];
  }),
  importCase("ImageImport with both tags and rewrite", "destination.tags and destination.rewrite are exclusive", (o) => {
    o.spec.destination.rewrite = { repositoryPrefix: "team/" };
  }),
  importCase("ImageImport without destination.repository", "destination.repository must be set", (o) => {
    delete o.spec.destination.repository;
  }),
  importCase("ImageImport with an absolute key", "source.s3.key must not start with '/'", (o) => {
    o.spec.source.s3.key = "/g/oracle_db.tar";
  }),
  importCase("ImageImport with an uppercase repository", "should match", "spec.destination.repository", (o) => {
    o.spec.destination.repository = "Library/Oracle";
  }),
  importCase("ImageImport with concurrency 0", "should be greater than or equal to 1", "spec.concurrency", (o) => {
    o.spec.concurrency = 0;
  }),
  importCase("ImageImport with concurrency 17", "should be less than or equal to 16", "spec.concurrency", (o) => {
    o.spec.concurrency = 17;
  }),
  importCase("ImageImport with an unknown layerCompression", "Unsupported value", "spec.layerCompression", (o) => {
    (o.spec as { layerCompression: string }).layerCompression = "zstd";
  }),
  importCase("ImageImport with a negative images[].source index", "images[].source must be a RepoTag of the archive", (o) => {
    o.spec.images = [{ source: -1 }];
  }),
  importCase("ImageImport without source.s3.bucket", "Required value", "spec.source.s3.bucket", (o) => {
    delete (o.spec.source.s3 as { bucket?: string }).bucket;
  }),
  pullCase("ArtifactPull with both tag and tagPolicy", "exactly one of source.tag, source.digest or source.tagPolicy", (o) => {
    o.spec.source.tag = "v1";
  }),
  pullCase("ArtifactPull with none of tag, digest, tagPolicy", "exactly one of source.tag, source.digest or source.tagPolicy", (o) => {
    delete o.spec.source.tagPolicy;
  }),
  pullCase("ArtifactPull with a malformed digest", "source.digest must be sha256: followed by 64 lowercase hex characters", (o) => {
    delete o.spec.source.tagPolicy;
    o.spec.source.digest = DIGEST.toUpperCase().replace("SHA256", "sha256");
  }),
  pullCase("ArtifactPull with newestPushed and semver", "tagPolicy.newestPushed and tagPolicy.semver are exclusive", (o) => {
    o.spec.source.tagPolicy = { newestPushed: {}, semver: { range: ">=1.0.0" } };
  }),
  pullCase("ArtifactPull with an empty tagPolicy", "tagPolicy must set newestPushed, semver or pattern", (o) => {
    o.spec.source.tagPolicy = {};
  }),
  pullCase("ArtifactPull with a malformed interval", "should match", "spec.interval", (o) => {
    o.spec.interval = "ten minutes";
  }),
  pullCase("ArtifactPull with too short an interval", "must be at least 10s", "spec.interval", (o) => {
    o.spec.interval = "2s";
  }),
  pullCase("ArtifactPull with an absolute prefix", "destination.s3.prefix must not start with '/'", (o) => {
    o.spec.destination.s3.prefix = "/apps";
  }),
  pullCase("ArtifactPull with a malformed platform", "should match", "spec.source.platform", (o) => {
    o.spec.source.platform = "amd64";
  }),
  pullCase("ArtifactPull with a bucket name S3 refuses", "should match", "spec.destination.s3.bucket", (o) => {
    o.spec.destination.s3.bucket = "Artifacts_Bucket";
  }),
  syncCase("OciSync with an image without tag or digest", "oci.image must name a tag or a digest", (o) => {
    o.spec.oci.image = "harbor.example.com/config/test-namespace";
  }),
  syncCase("OciSync with semver and a tag", "oci.semver picks the tag", (o) => {
    o.spec.oci.semver = { range: "^1.0.0" };
  }),
  syncCase("OciSync with a malformed image", "oci.image must be a reference like", (o) => {
    o.spec.oci.image = "harbor.example.com/Config/test namespace:v1";
  }),
  syncCase("OciSync with a period under 5s", "must be at least 5s", "spec.oci.period", (o) => {
    o.spec.oci.period = "1s";
  }),
  syncCase("OciSync with auth secret and no Secret", "oci.credentialsSecretRef must be set when oci.auth is secret", (o) => {
    o.spec.oci.auth = "secret";
  }),
  syncCase("OciSync with a Secret but auth none", "oci.credentialsSecretRef must be set when oci.auth is secret", (o) => {
    o.spec.oci.credentialsSecretRef = { name: "pull-secret" };
  }),
  syncCase("OciSync with a dir escaping the image", "oci.dir must be a relative path inside the image", (o) => {
    o.spec.oci.dir = "manifests/../../etc";
  }),
  syncCase("OciSync with maxFraction above 1", "should be less than or equal to 1", "spec.pruneSafeguard.maxFraction", (o) => {
    o.spec.pruneSafeguard = { maxFraction: 1.5 };
  }),
  syncCase("OciSync with an unknown sourceFormat", "Unsupported value", "spec.sourceFormat", (o) => {
    (o.spec as { sourceFormat: string }).sourceFormat = "hierarchy";
  }),
  syncCase("OciSync with an invalid serviceAccountName", "should match", "spec.serviceAccountName", (o) => {
    o.spec.serviceAccountName = "Tenant_SA";
  }),
];

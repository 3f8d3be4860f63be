// One object of each kind with every field of its type set (DeepRequired makes the compiler insist), so tests can
// prove the CRD schema holds every field of the TypeScript types and nothing else. The values are structurally
// valid; together they break CEL rules (tag, digest and tagPolicy all set), so they are for schema coverage only.
import { API_VERSION } from "./group-version.ts";
import type { ArtifactPull } from "./artifact-pull.ts";
import type { ImageImport } from "./image-import.ts";
import type { OciSync } from "./oci-sync.ts";
import type { Condition } from "./meta.ts";

/** T with every optional field made required, recursively. */
export type DeepRequired<T> = T extends (infer U)[] ? DeepRequired<U>[] : T extends object ? { [K in keyof T]-?: DeepRequired<T[K]> } : T;

const DIGEST = `sha256:${"b".repeat(64)}`;
const NOW = "2025-01-02T03:04:05Z";
const META = { name: "full", namespace: "default" };
const S3 = {
  endpoint: "https://objectstorage.example.com",
  bucket: "airgap",
  region: "us-east-1",
  forcePathStyle: true,
  credentialsSecretRef: { name: "s3-keys", namespace: "object-storage-access-keys", accessKeyIdKey: "access-key-id", secretAccessKeyKey: "secret-access-key" },
  caBundleSecretRef: { name: "s3-ca", namespace: "default", key: "ca.crt" },
  insecureSkipTLSVerify: false,
};
const REGISTRY_CONNECTION = {
  credentialsSecretRef: { name: "harbor-creds", namespace: "default" },
  caBundleSecretRef: { name: "harbor-ca", namespace: "default", key: "ca.crt" },
  insecureSkipTLSVerify: false,
  plainHTTP: false,
};
const CONDITIONS: DeepRequired<Condition>[] = [
  { type: "Ready", status: "True", observedGeneration: 1, lastTransitionTime: NOW, reason: "Succeeded", message: "done" },
];
const STAGE = {
  digest: DIGEST,
  lastUpdate: NOW,
  errors: [{ code: "ApplyFailed", message: "failed to apply", resources: [{ group: "apps", kind: "Deployment", namespace: "default", name: "web" }] }],
  errorSummary: { totalCount: 1, truncated: false },
};

/** An ImageImport with every field set. */
export function fullImageImport(): DeepRequired<ImageImport> {
  return {
    apiVersion: API_VERSION,
    kind: "ImageImport",
    metadata: { ...META, uid: "u", resourceVersion: "1", generation: 1, creationTimestamp: NOW, deletionTimestamp: NOW, finalizers: [], labels: {}, annotations: {} },
    spec: {
      source: { s3: { ...S3, key: "g/oracle_db.tar" } },
      destination: {
        registry: "harbor.example.com",
        repository: "library/oracle-db",
        tags: ["19.3"],
        rewrite: { registry: "harbor.example.com", repositoryPrefix: "team/" },
        ...REGISTRY_CONNECTION,
      },
      images: [{ source: "oracle/db:19.3", repository: "library/oracle-db", tags: ["19.3"] }],
      layerCompression: "preserve",
      concurrency: 3,
      suspend: false,
    },
    status: {
      observedGeneration: 1,
      conditions: CONDITIONS,
      images: [{ source: "oracle/db:19.3", reference: "harbor.example.com/library/oracle-db:19.3", digest: DIGEST, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 1234 }],
      progress: { bytesDone: 1234, bytesTotal: 1234 },
      sourceRevision: '"etag-1"',
      startedAt: NOW,
      completedAt: NOW,
      lastAttempt: { revision: '"etag-1"', generation: 1 },
    },
  };
}

/** An ArtifactPull with every field set. */
export function fullArtifactPull(): DeepRequired<ArtifactPull> {
  return {
    apiVersion: API_VERSION,
    kind: "ArtifactPull",
    metadata: { ...META, uid: "u", resourceVersion: "1", generation: 1, creationTimestamp: NOW, deletionTimestamp: NOW, finalizers: [], labels: {}, annotations: {} },
    spec: {
      source: {
        registry: "harbor.example.com",
        project: "apps",
        repository: "demo/web",
        tag: "v1",
        digest: DIGEST,
        tagPolicy: { newestPushed: {}, semver: { range: ">=1.0.0" }, pattern: { regex: "^v1[.]" } },
        excludeSignatures: true,
        platform: "linux/amd64",
        ...REGISTRY_CONNECTION,
      },
      destination: { s3: { ...S3, prefix: "apps/demo/" } },
      extract: true,
      extractLimits: { maxTotalBytes: 1024, maxFiles: 10 },
      interval: "10m",
      suspend: false,
    },
    status: {
      observedGeneration: 1,
      conditions: CONDITIONS,
      resolvedTag: "v1",
      resolvedDigest: DIGEST,
      pushTime: NOW,
      tagSource: "HarborAPI",
      files: [{ path: "files/app.yaml", size: 12 }],
      fileCount: 1,
      artifact: { revision: `v1@${DIGEST}` },
      lastPulled: NOW,
    },
  };
}

/** An OciSync with every field set. */
export function fullOciSync(): DeepRequired<OciSync> {
  return {
    apiVersion: API_VERSION,
    kind: "OciSync",
    metadata: { ...META, uid: "u", resourceVersion: "1", generation: 1, creationTimestamp: NOW, deletionTimestamp: NOW, finalizers: [], labels: {}, annotations: {} },
    spec: {
      sourceFormat: "unstructured",
      oci: {
        image: "harbor.example.com/config/test-namespace:v1",
        dir: ".",
        period: "15s",
        auth: "secret",
        credentialsSecretRef: { name: "pull", namespace: "default" },
        caCertSecretRef: { name: "ca", namespace: "default", key: "ca.crt" },
        insecureSkipTLSVerify: false,
        plainHTTP: false,
        semver: { range: "^1.0.0" },
        platform: "linux/amd64",
        layerSelector: { mediaType: "application/vnd.cncf.flux.content.v1.tar+gzip", operation: "extract" },
      },
      prune: true,
      pruneSafeguard: { allowEmpty: false, maxFraction: 0.5 },
      serviceAccountName: "tenant",
      timeout: "5m",
      suspend: false,
    },
    status: {
      observedGeneration: 1,
      conditions: CONDITIONS,
      source: { image: "harbor.example.com/config/test-namespace:v1", ...STAGE },
      sync: STAGE,
      inventory: [{ group: "", version: "v1", kind: "Namespace", namespace: "", name: "test", status: "Current", message: "" }],
      inventoryRef: { name: "full-inventory" },
      artifact: { revision: `v1@${DIGEST}` },
    },
  };
}

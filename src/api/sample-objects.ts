// Small valid objects of each kind: the starting point of the validation table, the CLI's templates and the tests.
// Each call returns a fresh object, so callers may mutate it.
import { API_VERSION } from "./group-version.ts";
import type { ImageImport } from "./image-import.ts";
import type { ArtifactPull } from "./artifact-pull.ts";
import type { OciSync } from "./oci-sync.ts";

/** An ImageImport of `g/oracle_db.tar` in bucket `airgap` to `harbor.example.com/library/oracle-db:19.3`. */
export function sampleImageImport(name = "oracle-db", namespace = "default"): ImageImport {
  return {
    apiVersion: API_VERSION,
    kind: "ImageImport",
    metadata: { name, namespace },
    spec: {
      source: { s3: { endpoint: "objectstorage.example.com", bucket: "airgap", key: "g/oracle_db.tar", credentialsSecretRef: { name: "object-storage-key-std-user-demo" } } },
      destination: { registry: "harbor.example.com", repository: "library/oracle-db", tags: ["19.3"] },
    },
  };
}

/** An ArtifactPull of the newest pushed tag of `harbor.example.com/apps/demo` into `s3://artifacts/apps/demo/`. */
export function sampleArtifactPull(name = "demo", namespace = "default"): ArtifactPull {
  return {
    apiVersion: API_VERSION,
    kind: "ArtifactPull",
    metadata: { name, namespace },
    spec: {
      source: { registry: "harbor.example.com", project: "apps", repository: "demo", tagPolicy: { newestPushed: {} } },
      destination: { s3: { endpoint: "objectstorage.example.com", bucket: "artifacts", prefix: "apps/demo/" } },
      extract: true,
    },
  };
}

/** An OciSync of `harbor.example.com/config/test-namespace:v1`. */
export function sampleOciSync(name = "test-namespace", namespace = "default"): OciSync {
  return {
    apiVersion: API_VERSION,
    kind: "OciSync",
    metadata: { name, namespace },
    spec: { oci: { image: "harbor.example.com/config/test-namespace:v1", dir: "." } },
  };
}

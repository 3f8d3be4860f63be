// What deleting an OciSync does to its objects: spec.deletionPolicy (Flux's Orphan / Delete / WaitForTermination)
// when set; otherwise Delete when airlift's annotation or Config Sync's (on a RootSync/RepoSync, kept by
// `airlift convert`) asks for Foreground deletion propagation; otherwise Orphan, Config Sync's default.
// https://cloud.google.com/kubernetes-engine/enterprise/config-sync/docs/how-to/managing-objects
import type { DeletionPolicy, OciSync } from "../api/oci-sync.ts";

/** airlift's annotation asking that deleting the OciSync deletes its objects too. */
export const ANNOTATION_DELETION_PROPAGATION = "airlift.dev/deletion-propagation";
/** Config Sync's annotation with the same meaning. */
export const ANNOTATION_CS_DELETION_PROPAGATION = "configsync.gke.io/deletion-propagation-policy";

/** The policy in force for `sync`. */
export function deletionPolicyOf(sync: Pick<OciSync, "metadata" | "spec">): DeletionPolicy {
  if (sync.spec.deletionPolicy) return sync.spec.deletionPolicy;
  const annotations = sync.metadata.annotations ?? {};
  const foreground = [ANNOTATION_DELETION_PROPAGATION, ANNOTATION_CS_DELETION_PROPAGATION].some(
    (key) => annotations[key] === "Foreground",
  );
  return foreground ? "Delete" : "Orphan";
}

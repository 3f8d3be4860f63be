// The image preflight parts of OciSync's schema: spec.imagePreflight and status.imagePreflight (issue 19).
import { IMAGE_PREFLIGHT_MODES } from "./oci-sync.ts";
import { arr, bool, int, obj, oneOf, str, time, type SchemaNode } from "./openapi-schema.ts";

/** Entries of each status list. */
export const PREFLIGHT_LIST_LIMIT = 50;

/** spec.imagePreflight. */
export function imagePreflightSpec(): SchemaNode {
  return obj(
    "Before applying a revision, HEAD every container image its workloads use (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs; init and ephemeral containers too) in its registry.",
    {
      mode: oneOf(
        "warn (default): apply, and report missing images (ImagesMissing) in status and an Event; block: apply nothing until every image is present, checked again each period; off: no check.",
        IMAGE_PREFLIGHT_MODES,
      ),
      pinDigests: bool(
        "Rewrite each image found to image@sha256:... (the digest the registry served at apply time), so every node runs exactly what was checked.",
      ),
    },
  );
}

const list = (description: string): SchemaNode =>
  arr(description, str("One entry."), { maxItems: PREFLIGHT_LIST_LIMIT });

/** status.imagePreflight. */
export function imagePreflightStatus(): SchemaNode {
  return obj(
    "The image preflight of the last revision applied or blocked.",
    {
      checked: int("Distinct images checked.", { minimum: 0 }),
      missing: list("Images the registry answered it does not have: image (Kind namespace/name container)."),
      unknown: list("Images that could not be checked (registry unreachable, unauthorized): image: why."),
      pinned: list("Images pinned to a digest, as applied: image@sha256:...."),
      checkedAt: time("When."),
    },
    { required: ["checked", "checkedAt"] },
  );
}

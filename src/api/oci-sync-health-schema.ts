// The health parts of OciSync's schema (Flux's healthChecks and healthCheckExprs), kept apart from
// oci-sync-schema.ts. The API server cannot compile the CEL expressions a spec carries (no CEL function does), so
// the reconciler compiles them and refuses a bad one with InvalidHealthCheckExpr; the schema bounds their length.
import { INVENTORY_STATUSES } from "./oci-sync.ts";
import { DNS_SUBDOMAIN_PATTERN } from "./common-schema.ts";
import { arr, obj, oneOf, str, type SchemaNode } from "./openapi-schema.ts";

/** group/version or version (core), as in a manifest's apiVersion. */
const API_VERSION_PATTERN = "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+((alpha|beta)[0-9]+)?$";
const KIND_PATTERN = "^[A-Z][A-Za-z0-9]*$";
/** Longest CEL expression accepted: with the nesting limit (src/sync/cel-health.ts) it bounds evaluation cost. */
export const MAX_HEALTH_EXPR_LENGTH = 1024;

const apiVersion = (): SchemaNode =>
  str("apiVersion, e.g. apps/v1.", { minLength: 1, maxLength: 253, pattern: API_VERSION_PATTERN });
const kind = (): SchemaNode => str("Kind, e.g. Deployment.", { minLength: 1, maxLength: 63, pattern: KIND_PATTERN });
const expr = (description: string): SchemaNode => str(description, { minLength: 1, maxLength: MAX_HEALTH_EXPR_LENGTH });

/** spec.healthChecks and spec.healthCheckExprs. */
export function healthSpecProperties(): Record<string, SchemaNode> {
  return {
    healthChecks: arr(
      "Objects the source does not hold whose health Ready also waits for (Flux's healthChecks); a tenant OciSync may name only objects of its own namespace.",
      obj(
        "One object.",
        {
          apiVersion: apiVersion(),
          kind: kind(),
          name: str("Its name.", { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN }),
          namespace: str("Its namespace (default: this OciSync's); none for a cluster-scoped kind.", {
            maxLength: 63,
            pattern: DNS_SUBDOMAIN_PATTERN,
          }),
        },
        { required: ["apiVersion", "kind", "name"] },
      ),
      { maxItems: 64 },
    ),
    healthCheckExprs: arr(
      "CEL health rules for a kind, replacing kstatus for its objects (Flux's healthCheckExprs): inProgress, failed, then current are evaluated with the object's top-level fields (metadata, spec, status...) as variables; the first true gives the status, none true is InProgress.",
      obj(
        "The expressions of one kind.",
        {
          apiVersion: apiVersion(),
          kind: kind(),
          current: expr("True when the object is healthy (Current)."),
          inProgress: expr("True when the object is still being reconciled (InProgress)."),
          failed: expr("True when the object failed (Failed)."),
        },
        { required: ["apiVersion", "kind", "current"] },
      ),
      { maxItems: 32 },
    ),
  };
}

/** status.healthChecks. */
export function healthChecksStatus(): SchemaNode {
  return arr(
    "The objects of spec.healthChecks and their health.",
    obj(
      "One object.",
      {
        apiVersion: str("apiVersion."),
        kind: str("Kind."),
        namespace: str("Namespace; absent for cluster-scoped objects."),
        name: str("Name."),
        status: oneOf("kstatus, or the kind's CEL rules.", INVENTORY_STATUSES),
        message: str("Why it is not Current.", { maxLength: 1024 }),
      },
      { required: ["apiVersion", "kind", "name", "status"] },
    ),
    { maxItems: 64 },
  );
}

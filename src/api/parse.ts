// Narrowing of what comes from the API server (or a file) into the typed objects: the one edge where unknown JSON
// becomes an ImageImport, ArtifactPull or OciSync. A failure names every problem with its field path, so a
// reconciler can report it in a Stalled condition as it is.
import { ARTIFACT_PULL, IMAGE_IMPORT, OCI_SYNC, API_VERSION, type KindInfo } from "./group-version.ts";
import { objectSchema } from "./crds.ts";
import { formatIssues, validate, type Issue } from "./validate.ts";
import type { ImageImport } from "./image-import.ts";
import type { ArtifactPull } from "./artifact-pull.ts";
import type { OciSync } from "./oci-sync.ts";
import type { SchemaNode } from "./openapi-schema.ts";

/** An object that is not a valid instance of its kind. */
export class InvalidObjectError extends Error {
  override readonly name = "InvalidObjectError";
  /** Stable code for callers that classify errors by type. */
  readonly code = "INVALID_OBJECT";
  readonly issues: readonly Issue[];

  constructor(kind: string, issues: readonly Issue[]) {
    super(`invalid ${kind}: ${formatIssues(issues)}`);
    this.issues = issues;
  }
}

const schemas = new Map<KindInfo["kind"], SchemaNode>();

function schemaOf(kind: KindInfo): SchemaNode {
  let schema = schemas.get(kind.kind);
  if (!schema) {
    schema = objectSchema(kind);
    schemas.set(kind.kind, schema);
  }
  return schema;
}

/** Every problem of `value` as an object of `kind` (apiVersion, kind, metadata.name, the schema, the CEL twins). */
export function objectIssues(kind: KindInfo, value: unknown): Issue[] {
  const issues = validate(schemaOf(kind), value);
  if (issues.some((i) => i.path === "" && i.message.startsWith("must be"))) return issues;
  const rec = value as Record<string, unknown>;
  if (rec.apiVersion !== API_VERSION) issues.unshift({ path: "apiVersion", message: `must be ${API_VERSION}` });
  if (rec.kind !== kind.kind) issues.unshift({ path: "kind", message: `must be ${kind.kind}` });
  const meta = rec.metadata as Record<string, unknown> | undefined;
  if (typeof meta?.name !== "string" || meta.name === "")
    issues.unshift({ path: "metadata.name", message: "Required value" });
  return issues;
}

function parse<T>(kind: KindInfo, value: unknown): T {
  const issues = objectIssues(kind, value);
  if (issues.length > 0) throw new InvalidObjectError(kind.kind, issues);
  return value as T;
}

/** Narrows `value` to an ImageImport; throws InvalidObjectError listing every problem. */
export function parseImageImport(value: unknown): ImageImport {
  return parse<ImageImport>(IMAGE_IMPORT, value);
}

/** Narrows `value` to an ArtifactPull; throws InvalidObjectError listing every problem. */
export function parseArtifactPull(value: unknown): ArtifactPull {
  return parse<ArtifactPull>(ARTIFACT_PULL, value);
}

/** Narrows `value` to an OciSync; throws InvalidObjectError listing every problem. */
export function parseOciSync(value: unknown): OciSync {
  return parse<OciSync>(OCI_SYNC, value);
}

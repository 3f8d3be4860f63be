// Typed errors of the sync engine. Callers classify by class or `code`, never by message text (STYLE.md);
// the reconciler maps them to Config Sync-style status errors `{code, message, resources[]}`. Codes are reasons of
// the one catalogue (api/conditions.ts): a stage error's code and a condition's reason never differ for one thing.
import type { Reason } from "../api/conditions.ts";
import type { ObjectIdentity } from "./identity.ts";

/** Stable machine-readable codes: the catalogue's reasons the sync engine can give. */
export type SyncErrorCode = Extract<
  Reason,
  | "DirNotFound"
  | "InvalidYAML"
  | "PathEscape"
  | "SizeLimitExceeded"
  | "ObjectLimitExceeded"
  | "DuplicateObject"
  | "ScopeViolation"
  | "UnknownKind"
  | "ManagementConflict"
  | "ApplyConflict"
  | "Forbidden"
  | "ApplyFailed"
  | "CRDNotEstablished"
  | "InvalidDependsOn"
  | "DependsOnCycle"
  | "DependencyNotReconciled"
  | "PruneRefused"
  | "PruneFailed"
  | "RenderFailed"
  | "RenderRefused"
  | "KustomizeUnavailable"
  | "SubstitutionFailed"
  | "ValidationFailed"
  | "ImagesMissing"
>;

/** Base of every sync error: a code, a message, and the objects or files it concerns. */
export class SyncError extends Error {
  override readonly name: string = "SyncError";
  readonly code: SyncErrorCode;
  /** The objects concerned, when known. */
  readonly resources: ObjectIdentity[];

  constructor(code: SyncErrorCode, message: string, resources: ObjectIdentity[] = [], options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.resources = resources;
  }
}

/** A load failed: nothing may be applied or pruned from a partial set. */
export class LoadError extends SyncError {
  override readonly name = "LoadError";
  /** The file (relative to the sync root) that failed. */
  readonly file: string;

  constructor(code: SyncErrorCode, file: string, message: string, options?: ErrorOptions) {
    super(code, message, [], options);
    this.file = file;
  }
}

/** An object already owned by another OciSync (or other owner): it is left untouched. */
export class ManagementConflictError extends SyncError {
  override readonly name = "ManagementConflictError";
  /** `kind namespace/name` of the owner named by the object's labels. */
  readonly currentOwner: string;

  constructor(resource: ObjectIdentity, currentOwner: string, message: string) {
    super("ManagementConflict", message, [resource]);
    this.currentOwner = currentOwner;
  }
}

/** Pruning was refused by a safeguard (empty source, or too large a fraction of the inventory). */
export class PruneSafeguardError extends SyncError {
  override readonly name = "PruneSafeguardError";
  /** How many objects would have been deleted, out of how many in the inventory. */
  readonly wouldPrune: number;
  readonly inventorySize: number;

  constructor(message: string, wouldPrune: number, inventorySize: number) {
    super("PruneRefused", message);
    this.wouldPrune = wouldPrune;
    this.inventorySize = inventorySize;
  }
}

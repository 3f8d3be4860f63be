// Typed errors of the sync engine. Callers classify by class or `code`, never by message text (STYLE.md);
// the reconciler maps them to Config Sync-style status errors `{code, message, resources[]}`.
import type { ObjectIdentity } from "./identity.ts";

/** Stable machine-readable codes, PascalCase like condition reasons. */
export type SyncErrorCode =
  | "InvalidManifest"
  | "PathEscape"
  | "SizeLimitExceeded"
  | "DuplicateObject"
  | "ScopeViolation"
  | "UnknownKind"
  | "ManagementConflict"
  | "ApplyConflict"
  | "Forbidden"
  | "ApplyFailed"
  | "CRDNotEstablished"
  | "PruneSafeguard"
  | "PruneFailed";

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
    super("PruneSafeguard", message);
    this.wouldPrune = wouldPrune;
    this.inventorySize = inventorySize;
  }
}

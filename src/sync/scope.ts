// Tenancy (docs/DESIGN.md, OciSync): a cluster scope applies anything; a namespace scope (an OciSync outside the
// controller's namespace) puts every namespaced object in its namespace and refuses cluster-scoped objects and
// objects for another namespace, one clear error per object, like Config Sync's RepoSync.
import type { ResourceType } from "../kube/resource.ts";
import type { Discovery } from "./discovery.ts";
import { SyncError } from "./errors.ts";
import { describeIdentity, identityOf, type Manifest, type ObjectIdentity } from "./identity.ts";

/** Where a sync may write. */
export type SyncScope =
  | {
      kind: "cluster";
      /** Namespace for namespaced objects that name none (default "default"). */ defaultNamespace?: string;
    }
  | { kind: "namespace"; namespace: string };

/** A manifest ready to apply: its resource type is known and its namespace final. */
export interface ResolvedObject {
  manifest: Manifest;
  type: ResourceType;
  identity: ObjectIdentity;
}

/** Applies the scope rules to one object whose kind is known; returns the final object, or a ScopeViolation. */
export function scopeObject(manifest: Manifest, type: ResourceType, scope: SyncScope): ResolvedObject | SyncError {
  const written = manifest.object.metadata.namespace ?? "";
  const asWritten = identityOf(manifest.object);
  if (!type.namespaced) {
    if (scope.kind === "namespace") {
      return new SyncError(
        "ScopeViolation",
        `refused ${describeIdentity(asWritten)} from ${manifest.source}: a sync scoped to namespace ${scope.namespace} may not manage cluster-scoped objects`,
        [asWritten],
      );
    }
    // A namespace on a cluster-scoped object means nothing; the API server would reject the mismatch.
    const metadata = { ...manifest.object.metadata };
    delete metadata.namespace;
    const object = { ...manifest.object, metadata };
    return { manifest: { ...manifest, object }, type, identity: { ...asWritten, namespace: "" } };
  }
  const target = scope.kind === "namespace" ? scope.namespace : (scope.defaultNamespace ?? "default");
  if (scope.kind === "namespace" && written && written !== scope.namespace) {
    return new SyncError(
      "ScopeViolation",
      `refused ${describeIdentity(asWritten)} from ${manifest.source}: a sync scoped to namespace ${scope.namespace} may not manage objects in namespace ${written}`,
      [asWritten],
    );
  }
  const namespace = written || target;
  const object = { ...manifest.object, metadata: { ...manifest.object.metadata, namespace } };
  return { manifest: { ...manifest, object }, type, identity: { ...asWritten, namespace } };
}

/**
 * Resolves the resource type of each manifest through discovery and applies the scope; kinds the API server does
 * not serve give an UnknownKind error for that object only.
 */
export async function resolveObjects(
  manifests: Manifest[],
  scope: SyncScope,
  discovery: Discovery,
  signal?: AbortSignal,
): Promise<(ResolvedObject | SyncError)[]> {
  return Promise.all(
    manifests.map(async (m): Promise<ResolvedObject | SyncError> => {
      const type = await discovery.lookup(m.object.apiVersion, m.object.kind, signal);
      if (!type) {
        const id = identityOf(m.object);
        return new SyncError(
          "UnknownKind",
          `failed to apply ${describeIdentity(id)} from ${m.source}: the API server serves no kind ${m.object.kind} in ${m.object.apiVersion} (is its CRD installed?)`,
          [id],
        );
      }
      return scopeObject(m, type, scope);
    }),
  );
}

// The connections of one ImageImport reconcile, single archive or drop-box alike: the S3 side (endpoint, keys, CA,
// endpoint policy) and the registry side (host, credentials, CA), built from the spec, its Secrets and the
// operator's defaults, spec.verify's keys, with the Secrets' versions for the attempt's input hash.
import type { ImageImport, ImageImportSpecDefaulted } from "../api/image-import.ts";
import type { ReconcileContext } from "../kube/reconciler.ts";
import type { RegistryConnection } from "../transfer/connection.ts";
import type { TrustedKeySet } from "../transfer/verify-source.ts";
import type { S3Connection } from "../transfer/s3-connection.ts";
import { caBundle, caOrigin, registryCredentials, registryHost, s3Connection } from "./credentials.ts";
import type { ControllerDeps } from "./deps.ts";
import { verifyKeys } from "./verify-source.ts";

/** Both sides of an import. */
export interface ImportConnections {
  s3: S3Connection;
  registry: string;
  connection: RegistryConnection;
  /** spec.verify's keys, when it has a verify block. */
  keys?: TrustedKeySet;
  /** `namespace/name@resourceVersion` of every Secret read (never their values). */
  secretVersions: readonly string[];
}

/** Reads the spec's Secrets (through the cross-namespace policy) and builds both connections. */
export async function importConnections(
  deps: ControllerDeps,
  obj: ImageImport,
  spec: ImageImportSpecDefaulted,
  ctx: ReconcileContext,
): Promise<ImportConnections> {
  const namespace = obj.metadata.namespace ?? "";
  const d = spec.destination;
  const { reader: secrets, reads } = ctx.secrets.recording();
  const s3 = await s3Connection({
    secrets,
    namespace,
    location: spec.source.s3,
    defaults: deps.defaults,
    signal: ctx.signal,
  });
  const registry = registryHost(d.registry ?? d.rewrite?.registry, deps.defaults);
  const credentials = await registryCredentials(secrets, namespace, d.credentialsSecretRef, ctx.signal);
  const caPem = await caBundle(secrets, namespace, d.caBundleSecretRef, ctx.signal);
  const keys = await verifyKeys(secrets, namespace, spec.verify, ctx.signal);
  return {
    s3: { ...s3, endpointPolicy: deps.endpointPolicy },
    registry,
    connection: {
      credentials,
      caPem,
      caOrigin: caOrigin(namespace, d.caBundleSecretRef),
      insecureSkipTLSVerify: d.insecureSkipTLSVerify,
      plainHttp: d.plainHTTP,
      endpointPolicy: deps.endpointPolicy,
    },
    ...(keys ? { keys } : {}),
    secretVersions: reads(),
  };
}

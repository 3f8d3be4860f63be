// `airlift diff`'s inputs, as the operator gets them for one OciSync: its spec with defaults, its image (or
// --image) fetched through OciSync's own source stage, and the registry connection. The pull Secret and CA Secret
// the spec names are read with the user's kubeconfig, under the same no-cross-namespace rule as the operator
// (kube/secrets.ts), and only as far as the user's RBAC allows: when it does not, the Docker config is used and a
// warning says so (never the Secret's content).
import type { OciSync, OciSyncSpecDefaulted } from "../api/oci-sync.ts";
import { withOciSyncDefaults } from "../api/oci-sync.ts";
import { OCI_SYNC } from "../api/group-version.ts";
import { caBundle, registryCredentials } from "../controllers/credentials.ts";
import { substitutionValues, type SubstitutionValues } from "../controllers/oci-sync-values.ts";
import { ApiError } from "../kube/api-error.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { objectPath } from "../kube/resource.ts";
import { SecretReader } from "../kube/secrets.ts";
import type { RegistryConnection } from "../transfer/connection.ts";
import { openBundle, type Bundle } from "./bundle-input.ts";
import { CliError, type CliIO } from "./command.ts";
import { imageConnection, type RegistryFlags } from "./render-flags.ts";
import { defaultRegistry } from "./transfer-flags.ts";

/** The OciSync as read, with its defaulted spec. */
export interface ReadSync {
  sync: OciSync;
  spec: OciSyncSpecDefaulted;
}

/** Reads the OciSync; a missing one is a one-line failure. */
export async function readOciSync(client: KubeClient, namespace: string, name: string): Promise<ReadSync> {
  try {
    const sync = await client.request<OciSync>(objectPath(OCI_SYNC, { namespace, name }));
    return { sync, spec: withOciSyncDefaults(sync.spec) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new CliError(`ocisync ${namespace}/${name} not found`);
    throw err;
  }
}

/**
 * The OciSync's substitution values as the operator reads them (oci-sync-values.ts): substituteFrom's ConfigMaps and
 * Secrets read with the user's kubeconfig, the built-ins from --dns-suffix and --default-registry.
 */
export async function syncValues(request: Omit<SourceRequest, "image">): Promise<SubstitutionValues | undefined> {
  const { client, read, flags, io } = request;
  const registry = defaultRegistry({ ...flags, progress: "auto" }, io.env);
  const defaults = { registry, s3Endpoint: undefined, workDir: "", dnsSuffix: flags.dnsSuffix };
  const secrets = new SecretReader({ client, allowCrossNamespace: false });
  return substitutionValues({ client, secrets, sync: read.sync, defaults });
}

/** What fetching the OciSync's source needs. */
export interface SourceRequest {
  client: KubeClient;
  read: ReadSync;
  /** --image: another image (or a local bundle) instead of spec.oci.image. */
  image?: string;
  flags: RegistryFlags & { dnsSuffix?: string };
  io: CliIO;
}

/** Fetches and extracts the image the OciSync (or --image) names. */
export async function fetchSource(request: SourceRequest): Promise<Bundle> {
  const { read, flags } = request;
  const oci = read.spec.oci;
  return openBundle(request.image ?? oci.image, {
    platform: request.image ? flags.platform : oci.platform,
    semverRange: request.image ? undefined : oci.semver?.range,
    connection: async (image) => {
      const given = await imageConnection(image, flags, request.io, "diff");
      return { image: given.image, connection: await withSpec(request, given.connection) };
    },
    signal: AbortSignal.timeout(600_000),
  });
}

/** The spec's TLS choices and Secrets over the flags' connection. */
async function withSpec(request: SourceRequest, base: RegistryConnection): Promise<RegistryConnection> {
  const { read, client, io } = request;
  const oci = read.spec.oci;
  const namespace = read.sync.metadata.namespace ?? "";
  const secrets = new SecretReader({ client, allowCrossNamespace: false });
  const warn = (what: string): void => {
    io.stderr.write(`airlift diff: warning: cannot read ${what} with this kubeconfig; using the Docker config\n`);
  };
  let credentials = base.credentials;
  if (oci.auth === "secret" && oci.credentialsSecretRef) {
    const ref = oci.credentialsSecretRef;
    credentials = await registryCredentials(secrets, namespace, ref).catch(() => {
      warn(`the pull Secret ${ref.namespace || namespace}/${ref.name}`);
      return base.credentials;
    });
  }
  const caRef = oci.caCertSecretRef;
  const caPem = caRef
    ? await caBundle(secrets, namespace, caRef).catch(() => {
        warn(`the CA Secret ${caRef.namespace || namespace}/${caRef.name}`);
        return base.caPem;
      })
    : base.caPem;
  return {
    ...base,
    credentials,
    caPem,
    plainHttp: base.plainHttp || oci.plainHTTP,
    insecureSkipTLSVerify: base.insecureSkipTLSVerify || oci.insecureSkipTLSVerify,
  };
}

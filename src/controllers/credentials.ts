// Connection settings the reconcilers build from a resource's references: registry credentials
// (kubernetes.io/dockerconfigjson, kubernetes.io/dockercfg or kubernetes.io/basic-auth Secrets, or the keys of any
// Secret the reference names, with an optional literal username: Harbor's harbor-admin), S3 access keys
// (GDC's object-storage-key-* Secrets: `access-key-id` / `secret-access-key`), CA bundles and endpoints.
// Every Secret goes through the SecretReader, so the cross-namespace policy holds; values never reach an error text.
// The values are handed to the engine as they are (src/transfer/connection.ts builds the clients from them).
import type { CaBundleRef, EndpointUsed, RegistryCredentialsRef, S3CredentialsRef, S3Location } from "../api/meta.ts";
import { SECRET_KEY_DEFAULTS } from "../api/meta.ts";
import { StallingError } from "../kube/errors.ts";
import type { SecretData, SecretReader } from "../kube/secrets.ts";
import { checkRegistryCredentials, referenceOnRegistry, type RegistryCredentials } from "../transfer/connection.ts";
import type { S3Connection } from "../transfer/s3-connection.ts";
import type { OperatorDefaults } from "./defaults.ts";

function keysOf(secret: SecretData): string {
  return Object.keys(secret.data).sort().join(", ") || "none";
}

function text(secret: SecretData, key: string): string | undefined {
  const value = secret.data[key]?.toString("utf8");
  return value && value.length > 0 ? value : undefined;
}

function invalidSecret(ref: { name: string }, namespace: string, detail: string): StallingError {
  return new StallingError("InvalidCredentialsSecret", `failed to use Secret ${namespace}/${ref.name}: ${detail}`);
}

/** True when the reference names keys or a username: the Secret is then read as basic credentials, whatever its type. */
function namesBasicKeys(ref: RegistryCredentialsRef): boolean {
  return ref.usernameKey !== undefined || ref.passwordKey !== undefined || ref.username !== undefined;
}

/** Basic credentials from the keys a reference names (Harbor's harbor-admin: passwordKey `secret`, username `admin`). */
function basicFromKeys(secret: SecretData, ref: RegistryCredentialsRef, namespace: string): RegistryCredentials {
  const usernameKey = ref.usernameKey ?? SECRET_KEY_DEFAULTS.usernameKey;
  const passwordKey = ref.passwordKey ?? SECRET_KEY_DEFAULTS.passwordKey;
  const username = ref.username ?? text(secret, usernameKey);
  const password = text(secret, passwordKey);
  if (username && password) return { kind: "basic", username, password };
  const wanted = ref.username === undefined ? `keys "${usernameKey}" and "${passwordKey}"` : `key "${passwordKey}"`;
  throw invalidSecret(ref, namespace, `it needs ${wanted} (keys: ${keysOf(secret)})`);
}

/** Credentials from a Docker config Secret (.dockerconfigjson, or the legacy .dockercfg); undefined when it has neither. */
function dockerConfigOf(
  secret: SecretData,
  ref: RegistryCredentialsRef,
  namespace: string,
): RegistryCredentials | undefined {
  const dockerConfig = text(secret, ".dockerconfigjson");
  const legacy = text(secret, ".dockercfg");
  try {
    // The legacy format is the `auths` map on its own.
    const json = dockerConfig ?? (legacy ? JSON.stringify({ auths: JSON.parse(legacy) as unknown }) : undefined);
    if (!json) return undefined;
    const credentials: RegistryCredentials = { kind: "dockerConfig", json };
    checkRegistryCredentials(credentials);
    return credentials;
  } catch {
    throw invalidSecret(
      ref,
      namespace,
      'its Docker config JSON does not parse (expected {"auths": {"<registry>": {"auth": ...}}})',
    );
  }
}

/**
 * The registry (and Harbor API) credentials the referenced Secret holds; undefined (anonymous) without a reference.
 * A reference naming usernameKey, passwordKey or username reads those keys of any Secret; otherwise the Secret is a
 * Docker config or holds `username` / `password`.
 */
export async function registryCredentials(
  secrets: SecretReader,
  namespace: string,
  ref: RegistryCredentialsRef | undefined,
  signal?: AbortSignal,
): Promise<RegistryCredentials | undefined> {
  if (!ref) return undefined;
  const secret = await secrets.secret(namespace, ref, signal);
  const ns = ref.namespace || namespace;
  if (namesBasicKeys(ref)) return basicFromKeys(secret, ref, ns);
  const docker = dockerConfigOf(secret, ref, ns);
  if (docker) return docker;
  const username = text(secret, "username");
  const password = text(secret, "password");
  if (username && password) return { kind: "basic", username, password };
  throw invalidSecret(
    ref,
    ns,
    `type ${secret.type} holds neither .dockerconfigjson nor username/password (keys: ${keysOf(secret)}); ` +
      "use a kubernetes.io/dockerconfigjson or kubernetes.io/basic-auth Secret, or name its keys with " +
      "credentialsSecretRef.passwordKey and usernameKey (or a literal username)",
  );
}

/** How a certificate failure names the resource's own CA Secret: `Secret ns/name (key ca.crt)`. */
export function caOrigin(namespace: string, ref: CaBundleRef | undefined): string | undefined {
  return ref && `Secret ${ref.namespace || namespace}/${ref.name} (key ${ref.key ?? SECRET_KEY_DEFAULTS.caBundleKey})`;
}

/** PEM CA bundle from the referenced Secret (key `ca.crt` by default); undefined without a reference. */
export async function caBundle(
  secrets: SecretReader,
  namespace: string,
  ref: CaBundleRef | undefined,
  signal?: AbortSignal,
): Promise<string | undefined> {
  if (!ref) return undefined;
  const secret = await secrets.secret(namespace, ref, signal);
  const key = ref.key ?? SECRET_KEY_DEFAULTS.caBundleKey;
  const pem = text(secret, key);
  if (!pem) throw invalidSecret(ref, ref.namespace || namespace, `it has no key "${key}" (keys: ${keysOf(secret)})`);
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw invalidSecret(ref, ref.namespace || namespace, `key "${key}" does not hold a PEM certificate`);
  }
  return pem;
}

/** S3 access keys from the referenced Secret. */
async function s3Keys(
  secrets: SecretReader,
  namespace: string,
  ref: S3CredentialsRef,
  signal?: AbortSignal,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const secret = await secrets.secret(namespace, ref, signal);
  const idKey = ref.accessKeyIdKey ?? SECRET_KEY_DEFAULTS.accessKeyIdKey;
  const secretKey = ref.secretAccessKeyKey ?? SECRET_KEY_DEFAULTS.secretAccessKeyKey;
  const accessKeyId = text(secret, idKey);
  const secretAccessKey = text(secret, secretKey);
  if (!accessKeyId || !secretAccessKey) {
    throw invalidSecret(
      ref,
      ref.namespace || namespace,
      `it needs keys "${idKey}" and "${secretKey}" (keys: ${keysOf(secret)})`,
    );
  }
  return { accessKeyId, secretAccessKey };
}

/** `host[:port]` → `https://host[:port]`; an explicit http(s) scheme is kept. */
function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, "");
  return /^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
}

/** What s3Connection reads: a bucket location of an object in `namespace`, and the operator's defaults. */
export interface S3ConnectionRequest {
  secrets: SecretReader;
  namespace: string;
  location: S3Location;
  defaults: OperatorDefaults;
  signal?: AbortSignal;
}

/** The full S3 connection of a bucket location: endpoint (or the operator's default), keys, CA, TLS choice. */
export async function s3Connection(request: S3ConnectionRequest): Promise<S3Connection> {
  const { secrets, namespace, location, defaults, signal } = request;
  const endpoint = location.endpoint ?? defaults.s3Endpoint;
  if (!endpoint) {
    throw new StallingError(
      "NoS3Endpoint",
      "no S3 endpoint: set s3.endpoint, or start the operator with --default-s3-endpoint or --dns-suffix, or publish the site's suffix in its DNS suffix ConfigMap (gpc-system/dnssuffix)",
    );
  }
  if (!location.credentialsSecretRef) {
    throw new StallingError(
      "NoS3Credentials",
      "s3.credentialsSecretRef is required: name the Secret holding the bucket's access keys",
    );
  }
  const keys = await s3Keys(secrets, namespace, location.credentialsSecretRef, signal);
  const caPem = await caBundle(secrets, namespace, location.caBundleSecretRef, signal);
  return {
    endpoint: normalizeEndpoint(endpoint),
    region: location.region ?? "us-east-1",
    forcePathStyle: location.forcePathStyle ?? true,
    ...keys,
    caPem,
    caOrigin: caOrigin(namespace, location.caBundleSecretRef),
    insecureSkipTLSVerify: location.insecureSkipTLSVerify,
  };
}

/**
 * The endpoint a resource uses for status.endpoints: its own field (origin `from <field>`), else the operator's
 * default with the default's origin (`from ConfigMap gpc-system/dnssuffix`, `from --default-registry`, ...).
 */
export function endpointUsed(
  own: string | undefined,
  field: string,
  defaults: OperatorDefaults,
  which: "registry" | "s3",
): EndpointUsed | undefined {
  if (own) return { value: own, origin: `from ${field}` };
  const value = which === "registry" ? defaults.registry : defaults.s3Endpoint;
  const withOrigin = which === "registry" ? defaults.registryWithOrigin : defaults.s3EndpointWithOrigin;
  return value ? { value, origin: withOrigin?.origin ?? "from the operator's defaults" } : undefined;
}

/** The registry host a resource targets: its own, else the operator's default. */
export function registryHost(registry: string | undefined, defaults: OperatorDefaults): string {
  const host = (registry ?? defaults.registry)?.replace(/^https?:\/\//i, "").replace(/\/+$/, "");
  if (!host)
    throw new StallingError(
      "NoRegistry",
      "no registry: set the registry field, or start the operator with --default-registry or --dns-suffix, or publish the site's suffix in its DNS suffix ConfigMap (gpc-system/dnssuffix)",
    );
  return host;
}

/**
 * An image reference with its registry: as written when it names a host, else under the operator's default registry
 * (the site's Harbor); NoRegistry when there is none, so a host-less image never resolves to docker.io.
 */
export function imageOnRegistry(image: string, defaults: OperatorDefaults): string {
  return referenceOnRegistry(image, () => registryHost(undefined, defaults));
}

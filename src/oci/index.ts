/**
 * OCI distribution client (https://github.com/opencontainers/distribution-spec/blob/main/spec.md).
 *
 * Layers, after oras-go: `reference` / `digest` (validated strings) → `RegistryClient` (one registry: an undici
 * keep-alive pool and the transport auth → retry → redirect → logging) → `Repository` with `blobs()`,
 * `manifests()`, `tags()`, `referrers()`. `Fetcher` / `Pusher` / `Exists` → `BlobStorage` and `ManifestTarget`
 * are the small interfaces other content stores (OCI layouts, archives) implement too.
 *
 * Constructing a client, per auth kind:
 * ```ts
 * // anonymous, plain HTTP (only when the user marked the registry as HTTP)
 * const client = new RegistryClient({ registry: "127.0.0.1:5000", plainHttp: true });
 * // basic auth over TLS with a private CA
 * const client = new RegistryClient({ registry: "harbor.example", caPem, credentials: basicCredentials("harbor.example", user, pass) });
 * // a docker config JSON (a kubernetes.io/dockerconfigjson Secret): basic, bearer-token challenge, identity tokens
 * const client = new RegistryClient({ registry: "harbor.example", credentials: dockerConfigCredentials(secretBytes) });
 * // Bearer tokens need nothing more: the client follows the registry's `WWW-Authenticate: Bearer realm=…` challenge.
 * const repo = new Repository(client, "team/app");
 * const desc = await repo.manifests().resolve("v1");
 * await client.close();
 * ```
 * Every call takes `{ signal, timeoutMs }`; errors are typed (`RegistryError`, `NotFoundError`, `AuthError`,
 * `TlsError`, `DigestMismatchError`, …) with a stable `code` and `transient`.
 */
export { RegistryClient, type CallOptions, type ClientOptions } from "./client.ts";
export { Repository, openRepository, repositoryOf } from "./repository.ts";
export { BlobStore, type BlobFetchOptions, type MountOptions } from "./blobs.ts";
export { ManifestStore, MANIFEST_SIZE_LIMIT, type FetchedManifest } from "./manifests.ts";
export { TagStore, type TagListOptions } from "./tags.ts";
export { referrersTag, type ReferrersOptions } from "./referrers.ts";
export { DEFAULT_CHUNK_SIZE, type BlobSource, type PushDescriptor, type PushOptions } from "./upload.ts";
export type { BlobStorage, Exists, Fetcher, ManifestContent, ManifestTarget, Pusher, ReadOnlyStorage, Resolver } from "./storage.ts";
export { parseReference, formatReference, registryEndpointHost, manifestReference, isTag, validateRepository, DOCKER_HUB, type Reference } from "./reference.ts";
export { parseDigest, toDigest, isDigest, digestOf, Digester, type Digest, type DigestAlgorithm, type ParsedDigest } from "./digest.ts";
export { parseManifest, parseDescriptor, childrenOf, type Descriptor, type ImageIndex, type ImageManifest, type Manifest, type Platform } from "./manifest.ts";
export * from "./media-types.ts";
export { parseDockerConfig, dockerConfigCredentials, basicCredentials, type Credential, type CredentialProvider } from "./docker-config.ts";
export { parseWwwAuthenticate, type Challenge } from "./www-authenticate.ts";
export { parseRetryAfter } from "./retry-after.ts";
export { defaultRetryPolicy, type RequestEvent, type RetryEvent, type RetryPolicy, type TransportLogger } from "./transport.ts";
export {
  OciError,
  RegistryError,
  NotFoundError,
  AuthError,
  TlsError,
  DigestMismatchError,
  InvalidInputError,
  TransportError,
  type RegistryErrorDetail,
} from "./errors.ts";

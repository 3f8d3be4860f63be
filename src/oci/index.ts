/**
 * OCI distribution client (https://github.com/opencontainers/distribution-spec/blob/main/spec.md).
 *
 * Layers, after oras-go: `reference` (validated strings) → `RegistryClient` (one registry: an undici keep-alive
 * pool and the transport auth → retry → redirect → logging) → `Repository` with `blobs()`, `manifests()`,
 * `tags()`, `referrers()`. Digests, descriptors, manifests, media types and the small content interfaces
 * (`Fetcher` / `Pusher` / `Exists` → `BlobStorage`, `ManifestTarget`) it implements live in src/ocispec/.
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
export { RegistryClient, type ClientOptions } from "./client.ts";
export { Repository } from "./repository.ts";
export { dockerConfigCredentials, basicCredentials } from "./docker-config.ts";
export type { RequestEvent, RetryEvent } from "./transport.ts";
export { RegistryError, NotFoundError, TlsError, DigestMismatchError } from "./errors.ts";

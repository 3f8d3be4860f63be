// The one place where registry connection inputs become clients. Controllers and the CLI hold only plain values
// (the text of a Docker config, a username and password, a CA bundle, the TLS and HTTP choices of a spec, the
// operator's endpoint policy); this file turns them into the OCI client's options, an opened repository, or the
// Harbor API client that stands beside the registry, so every flow reaches a registry the same way.
import type { Agent } from "undici";
import { createAgent } from "../net/agents.ts";
import { secretIdentity, settingsIdentity, sharedConnections, type Lease } from "../net/connection-cache.ts";
import type { EndpointPolicy } from "../net/endpoint-policy.ts";
import type { HarborClientOptions, HarborCredentials } from "../harbor/client.ts";
import { RegistryClient, type ClientOptions } from "../oci/client.ts";
import { basicCredentials, dockerConfigCredentials, type CredentialProvider } from "../oci/docker-config.ts";
import { hasRegistryHost, parseReference, type Reference } from "../oci/reference.ts";
import { Repository } from "../oci/repository.ts";
import type { RequestEvent } from "../oci/transport.ts";

/** Registry credentials as users hand them: a Docker config JSON (`auths`), or one username and password. */
export type RegistryCredentials =
  { kind: "dockerConfig"; json: string } | { kind: "basic"; username: string; password: string };

/** One exchange with a registry, as reported to `onRequest`. */
export type RegistryRequestEvent = RequestEvent;

/** How to reach a registry, in plain values. */
export interface RegistryConnection {
  /** Anonymous when absent. */
  credentials?: RegistryCredentials;
  /** Extra CA certificates (PEM) trusted besides Node's roots. */
  caPem?: string;
  /** Where caPem came from (`Secret ns/name (key ca.crt)`), named when a certificate does not verify. */
  caOrigin?: string;
  /** Do not verify the server certificate: an explicit, visible opt-out. */
  insecureSkipTLSVerify?: boolean;
  /** Speak plain HTTP (only for registries the user marked so). */
  plainHttp?: boolean;
  /** The operator's SSRF policy, applied to every connection. */
  endpointPolicy?: EndpointPolicy;
  /** Called after every exchange on the wire (request counting, metrics). */
  onRequest?: (e: RegistryRequestEvent) => void;
}

/** `reference` as written when it names its registry host, else under `defaultRegistry` (never docker.io). */
export function referenceOnRegistry(reference: string, defaultRegistry: () => string): string {
  return hasRegistryHost(reference) ? reference : `${defaultRegistry()}/${reference}`;
}

/** Engine-chosen tuning of one flow's client (not a user input). */
export interface ClientTuning {
  retry?: ClientOptions["retry"];
}

function credentialProvider(credentials: RegistryCredentials, registry: string): CredentialProvider {
  return credentials.kind === "dockerConfig"
    ? dockerConfigCredentials(credentials.json)
    : basicCredentials(registry, credentials.username, credentials.password);
}

/** Throws (InvalidInputError, code DOCKER_CONFIG_INVALID) when a Docker config JSON cannot be used. */
export function checkRegistryCredentials(credentials: RegistryCredentials): void {
  credentialProvider(credentials, "");
}

/** The OCI client's options for `registry` (host as in references). */
export function registryClientOptions(
  registry: string,
  connection: RegistryConnection,
  tuning: ClientTuning = {},
): ClientOptions {
  return {
    registry,
    plainHttp: connection.plainHttp,
    caPem: connection.caPem,
    caOrigin: connection.caOrigin,
    insecureSkipTLSVerify: connection.insecureSkipTLSVerify,
    credentials: connection.credentials && credentialProvider(connection.credentials, registry),
    endpointPolicy: connection.endpointPolicy,
    onRequest: connection.onRequest,
    retry: tuning.retry,
  };
}

/** Keep-alive connections per origin of a pool, which concurrent reconciles share when the operator shares pools. */
const POOL_CONNECTIONS = 32;

/**
 * The connection pool for `registry` with this connection's credentials and trust: shared across reconciles in the
 * operator (net/connection-cache.ts), else one of its own. Release it when done.
 */
export function leaseRegistryPool(registry: string, connection: RegistryConnection): Lease<Agent> {
  const scheme = connection.plainHttp ? "http" : "https";
  const credentials = connection.credentials ? secretIdentity(JSON.stringify(connection.credentials)) : "anonymous";
  const key = `registry ${scheme}://${registry} credentials=${credentials} ${settingsIdentity(connection)}`;
  const settings = {
    caPem: connection.caPem,
    caOrigin: connection.caOrigin,
    insecureSkipTLSVerify: connection.insecureSkipTLSVerify,
    endpointPolicy: connection.endpointPolicy,
    connections: POOL_CONNECTIONS,
  };
  return sharedConnections.acquire(
    key,
    () => createAgent(settings),
    (agent) => agent.close(),
  );
}

/** A client for `registry` on its connection pool (leaseRegistryPool); close it when done. */
export function openRegistryClient(
  registry: string,
  connection: RegistryConnection,
  tuning: ClientTuning = {},
): RegistryClient {
  const pool = leaseRegistryPool(registry, connection);
  try {
    return new RegistryClient({ ...registryClientOptions(registry, connection, tuning), pool });
  } catch (err) {
    void pool.release();
    throw err;
  }
}

/** An opened repository of `reference` (`registry/repository[:tag][@digest]`) and its client's close. */
export interface OpenedRepository {
  reference: Reference;
  repository: Repository;
  /** Closes the client's connection pool. */
  close: () => Promise<void>;
}

/** Parses `reference` and opens one client for its registry. */
export function openRepositoryOf(
  reference: string,
  connection: RegistryConnection,
  tuning: ClientTuning = {},
): OpenedRepository {
  const parsed = parseReference(reference);
  const client = openRegistryClient(parsed.registry, connection, tuning);
  return { reference: parsed, repository: new Repository(client, parsed.repository), close: () => client.close() };
}

/** Basic credentials for Harbor's API from the registry's credentials (Harbor takes no tokens here). */
function harborCredentials(registry: string, connection: RegistryConnection): HarborCredentials | undefined {
  const credential = connection.credentials
    ? credentialProvider(connection.credentials, registry)(registry)
    : undefined;
  return credential?.kind === "basic" ? { username: credential.username, password: credential.password } : undefined;
}

/** The Harbor API client's options for the Harbor serving `registry`, with the registry's trust and credentials. */
export function harborClientOptions(registry: string, connection: RegistryConnection): HarborClientOptions {
  return {
    url: `${connection.plainHttp ? "http" : "https"}://${registry}`,
    credentials: harborCredentials(registry, connection),
    caPem: connection.caPem,
    caOrigin: connection.caOrigin,
    insecureSkipTLSVerify: connection.insecureSkipTLSVerify,
    endpointPolicy: connection.endpointPolicy,
  };
}

/**
 * Image references `registry/repository[:tag][@digest]`, parsed per the distribution grammar
 * (https://github.com/distribution/reference/blob/main/reference.go) with Docker's familiar defaults:
 * no registry means `docker.io`, and a one-component Docker Hub name lives under `library/`.
 */
import { parseDigest, type Digest } from "../ocispec/digest.ts";
import { InvalidInputError } from "./errors.ts";

/** A parsed reference; `tag` and `digest` are both optional, and both may be present. */
export interface Reference {
  /** Registry host as written (`docker.io`, `localhost:5000`, `127.0.0.1:5000`, `[::1]:5000`). */
  registry: string;
  /** Repository path, e.g. `library/ubuntu`. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

export const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ENDPOINT = "registry-1.docker.io";
const NAME_MAX = 255;

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainPattern = new RegExp(`^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const tagPattern = /^\w[\w.-]{0,127}$/;

function invalid(value: string, why: string): InvalidInputError {
  return new InvalidInputError(`invalid reference ${JSON.stringify(value.slice(0, 300))}: ${why}`, "REFERENCE_INVALID");
}

/** True when `value` is a valid tag. */
export function isTag(value: string): boolean {
  return tagPattern.test(value);
}

/** Validates a repository path (lowercase components separated by `/`). */
export function validateRepository(repository: string): void {
  if (repository.length === 0 || !repository.split("/").every((c) => pathComponent.test(c))) {
    throw invalid(repository, "repository must be lowercase path components of [a-z0-9] joined by . _ __ or -");
  }
}

/** True when the first path component names a registry host rather than a Docker Hub namespace. */
function isDomain(first: string): boolean {
  return first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase();
}

/**
 * True when `value` names its registry host (its first path component is a domain, host:port or localhost); a
 * reference without one is what Docker resolves to docker.io and airlift puts under a site's default registry.
 */
export function hasRegistryHost(value: string): boolean {
  const slash = value.indexOf("/");
  return slash >= 0 && isDomain(value.slice(0, slash));
}

function splitDomain(name: string): { registry: string; repository: string } {
  const slash = name.indexOf("/");
  if (slash < 0 || !isDomain(name.slice(0, slash)))
    return { registry: DOCKER_HUB, repository: slash < 0 ? `library/${name}` : name };
  const first = name.slice(0, slash);
  const registry = first === "index.docker.io" ? DOCKER_HUB : first;
  const repository = name.slice(slash + 1);
  return {
    registry,
    repository: registry === DOCKER_HUB && !repository.includes("/") ? `library/${repository}` : repository,
  };
}

/** Parses a reference; throws InvalidInputError with the offending value and the rule it broke. */
export function parseReference(value: string): Reference {
  let rest = value;
  let digest: Digest | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    const digestText = rest.slice(at + 1);
    try {
      parseDigest(digestText);
    } catch {
      throw invalid(value, "bad digest");
    }
    digest = digestText as Digest;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    if (!isTag(tag)) throw invalid(value, "bad tag");
    rest = rest.slice(0, colon);
  }
  if (rest.length === 0) throw invalid(value, "empty name");
  if (rest.length > NAME_MAX) throw invalid(value, `name longer than ${NAME_MAX} characters`);
  const { registry, repository } = splitDomain(rest);
  if (!domainPattern.test(registry)) throw invalid(value, "bad registry host");
  validateRepository(repository);
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The canonical text of a reference (always with its registry). */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}

/** The host to connect to: Docker Hub's API is served by `registry-1.docker.io`. */
export function registryEndpointHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_ENDPOINT : registry;
}

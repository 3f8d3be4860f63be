/**
 * Credentials from a Docker config JSON (`~/.docker/config.json`, or a Secret of type
 * `kubernetes.io/dockerconfigjson`): `auths.<host>.auth` (base64 `user:password`), `username`/`password`,
 * `identitytoken` (an OAuth2 refresh token) and `registrytoken` (a bearer token used as is).
 */
import { InvalidInputError } from "./errors.ts";
import { DOCKER_HUB } from "./reference.ts";

/** How to authenticate to one registry. */
export type Credential =
  | { kind: "basic"; username: string; password: string }
  | { kind: "refreshToken"; refreshToken: string; username?: string }
  | { kind: "registryToken"; token: string };

/** Finds the credential for a registry host, or undefined for anonymous access. */
export type CredentialProvider = (registry: string) => Credential | undefined;

const dockerHubKeys = ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** `https://host:5000/v1/` → `host:5000`: config keys are written with and without scheme and path. */
function normalizeKey(key: string): string {
  const noScheme = key.replace(/^[a-z]+:\/\//i, "");
  const host = noScheme.split("/")[0] ?? "";
  return dockerHubKeys.includes(key) || dockerHubKeys.includes(host) ? DOCKER_HUB : host.toLowerCase();
}

function credentialOf(entry: Record<string, unknown>): Credential | undefined {
  const registryToken = str(entry.registrytoken);
  if (registryToken) return { kind: "registryToken", token: registryToken };
  let username = str(entry.username);
  let password = str(entry.password);
  const auth = str(entry.auth);
  if (auth) {
    const decoded = Buffer.from(auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new InvalidInputError("docker config: an `auth` value is not base64 of user:password", "DOCKER_CONFIG_INVALID");
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = str(entry.identitytoken);
  if (identityToken) return { kind: "refreshToken", refreshToken: identityToken, ...(username ? { username } : {}) };
  if (username !== undefined && password !== undefined) return { kind: "basic", username, password };
  return undefined;
}

/** The config's `auths` (undefined when it has none); throws InvalidInputError on malformed input. */
function authsOf(json: string | Uint8Array): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof json === "string" ? json : Buffer.from(json).toString("utf8"));
  } catch {
    // The parser's message may quote the input, which holds secrets: say only that it is not JSON.
    throw new InvalidInputError("docker config: not valid JSON", "DOCKER_CONFIG_INVALID");
  }
  if (typeof doc !== "object" || doc === null) throw new InvalidInputError("docker config: not a JSON object", "DOCKER_CONFIG_INVALID");
  return (doc as { auths?: unknown }).auths;
}

/** Parses a Docker config JSON into credentials by normalized host. Throws InvalidInputError on malformed input. */
export function parseDockerConfig(json: string | Uint8Array): Map<string, Credential> {
  const auths = authsOf(json);
  const out = new Map<string, Credential>();
  if (auths === undefined) return out;
  if (typeof auths !== "object" || auths === null) throw new InvalidInputError("docker config: `auths` is not an object", "DOCKER_CONFIG_INVALID");
  for (const [key, entry] of Object.entries(auths)) {
    if (typeof entry !== "object" || entry === null) continue;
    const credential = credentialOf(entry as Record<string, unknown>);
    if (credential) out.set(normalizeKey(key), credential);
  }
  return out;
}

/** A provider that answers from a Docker config JSON. */
export function dockerConfigCredentials(json: string | Uint8Array): CredentialProvider {
  const byHost = parseDockerConfig(json);
  return (registry) => byHost.get(normalizeKey(registry));
}

/** A provider for one registry with a username and password (htpasswd, Harbor robot accounts). */
export function basicCredentials(registry: string, username: string, password: string): CredentialProvider {
  const key = normalizeKey(registry);
  return (host) => (normalizeKey(host) === key ? { kind: "basic", username, password } : undefined);
}

/**
 * Credentials from a Docker config JSON (`~/.docker/config.json`, or a Secret of type
 * `kubernetes.io/dockerconfigjson`): `auths.<host>.auth` (base64 `user:password`), `username`/`password`,
 * `identitytoken` (an OAuth2 refresh token) and `registrytoken` (a bearer token used as is). `credentialSourceFor`
 * tells where Docker would look for a host's credential (`credHelpers`, `auths`, `credsStore`); only the CLI runs the
 * helpers it names (see src/cli/credential-helpers.ts): in the operator a Secret is data, never a program to run.
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
    if (colon < 0)
      throw new InvalidInputError(
        "docker config: an `auth` value is not base64 of user:password",
        "DOCKER_CONFIG_INVALID",
      );
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = str(entry.identitytoken);
  if (identityToken) return { kind: "refreshToken", refreshToken: identityToken, ...(username ? { username } : {}) };
  if (username !== undefined && password !== undefined) return { kind: "basic", username, password };
  return undefined;
}

/** The config document as an object; throws InvalidInputError on malformed input. */
function documentOf(json: string | Uint8Array): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof json === "string" ? json : Buffer.from(json).toString("utf8"));
  } catch {
    // The parser's message may quote the input, which holds secrets: say only that it is not JSON.
    throw new InvalidInputError("docker config: not valid JSON", "DOCKER_CONFIG_INVALID");
  }
  if (typeof doc !== "object" || doc === null)
    throw new InvalidInputError("docker config: not a JSON object", "DOCKER_CONFIG_INVALID");
  return doc as Record<string, unknown>;
}

/** The config's `auths` (undefined when it has none); throws InvalidInputError on malformed input. */
function authsOf(json: string | Uint8Array): unknown {
  return documentOf(json).auths;
}

/** Parses a Docker config JSON into credentials by normalized host. Throws InvalidInputError on malformed input. */
export function parseDockerConfig(json: string | Uint8Array): Map<string, Credential> {
  const auths = authsOf(json);
  const out = new Map<string, Credential>();
  if (auths === undefined) return out;
  if (typeof auths !== "object" || auths === null)
    throw new InvalidInputError("docker config: `auths` is not an object", "DOCKER_CONFIG_INVALID");
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

/** Where the credential of one registry host comes from, in Docker's order. */
export type CredentialSource =
  | { kind: "helper"; helper: string; serverUrl: string }
  | { kind: "auths"; credential: Credential }
  | { kind: "anonymous" };

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function helperName(value: unknown, where: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string" || !HELPER_NAME.test(value))
    throw new InvalidInputError(
      `docker config: ${where} is not a credential helper name (letters, digits, ".", "_", "-")`,
      "DOCKER_CONFIG_INVALID",
    );
  return value;
}

function credHelperFor(doc: Record<string, unknown>, key: string): string | undefined {
  const helpers = doc.credHelpers;
  if (helpers === undefined) return undefined;
  if (typeof helpers !== "object" || helpers === null)
    throw new InvalidInputError("docker config: `credHelpers` is not an object", "DOCKER_CONFIG_INVALID");
  const entry = Object.entries(helpers).find(([k]) => normalizeKey(k) === key);
  return entry ? helperName(entry[1], `credHelpers["${entry[0]}"]`) : undefined;
}

/** The server URL a helper is asked about: Docker Hub by its legacy index URL, any other registry by its host. */
export function helperServerUrl(registry: string): string {
  const key = normalizeKey(registry);
  return key === DOCKER_HUB ? "https://index.docker.io/v1/" : key;
}

/**
 * Where Docker takes `registry`'s credential from: `credHelpers[host]` wins, else a credential in `auths[host]`
 * (an empty entry, as `docker login` leaves beside a credsStore, does not count), else `credsStore`, else none.
 * Throws InvalidInputError on a malformed document.
 */
export function credentialSourceFor(json: string | Uint8Array, registry: string): CredentialSource {
  const doc = documentOf(json);
  const key = normalizeKey(registry);
  const helper = credHelperFor(doc, key);
  if (helper) return { kind: "helper", helper, serverUrl: helperServerUrl(registry) };
  const credential = parseDockerConfig(json).get(key);
  if (credential) return { kind: "auths", credential };
  const store = helperName(doc.credsStore, "`credsStore`");
  return store ? { kind: "helper", helper: store, serverUrl: helperServerUrl(registry) } : { kind: "anonymous" };
}

/** Docker's marker for an identity token in a helper's answer. */
const TOKEN_USERNAME = "<token>";

/**
 * A credential helper's `get` answer (`{"ServerURL","Username","Secret"}`) as a credential: Username `<token>` makes
 * the Secret an identity token (as Docker reads it); an empty Secret means none. Throws InvalidInputError (without
 * quoting the answer, which holds the secret) when the answer is not that JSON.
 */
export function credentialFromHelper(answer: string): Credential | undefined {
  const { username, secret } = helperFields(answer);
  if (!secret) return undefined;
  if (username === TOKEN_USERNAME) return { kind: "refreshToken", refreshToken: secret };
  return username ? { kind: "basic", username, password: secret } : undefined;
}

function helperFields(answer: string): { username?: string; secret?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(answer);
  } catch {
    doc = undefined;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new InvalidInputError("the credential helper's answer is not a JSON object", "HELPER_ANSWER_INVALID");
  const { Username: username, Secret: secret } = doc as Record<string, unknown>;
  if (
    (username !== undefined && typeof username !== "string") ||
    (secret !== undefined && typeof secret !== "string")
  ) {
    throw new InvalidInputError(
      "the credential helper's answer has a Username or Secret that is not a string",
      "HELPER_ANSWER_INVALID",
    );
  }
  return { username, secret };
}

/** A Docker config JSON holding only `credential` for `registry` (what a helper answered, as `auths` carry it). */
export function dockerConfigOf(registry: string, credential: Credential): string {
  const entry =
    credential.kind === "basic"
      ? { username: credential.username, password: credential.password }
      : credential.kind === "refreshToken"
        ? { identitytoken: credential.refreshToken, ...(credential.username ? { username: credential.username } : {}) }
        : { registrytoken: credential.token };
  return JSON.stringify({ auths: { [normalizeKey(registry)]: entry } });
}

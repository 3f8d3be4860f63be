// The kubeconfig model's entries and their reading from a parsed YAML document. Field names are client-node's
// camelCase ones (caData, skipTLSVerify, certData, ...) so the code that inspects entries reads the same; the
// document's kebab-case keys are mapped here, once.
import { isAbsolute, resolve } from "node:path";

/** A `clusters[]` entry. */
export interface Cluster {
  readonly name: string;
  readonly server: string;
  /** certificate-authority-data (base64 PEM). */
  readonly caData?: string | undefined;
  /** certificate-authority (a file). */
  readonly caFile?: string | undefined;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string | undefined;
  readonly proxyUrl?: string | undefined;
}

/** An exec credential plugin (`users[].user.exec`), as kubectl reads it. */
export interface ExecConfig {
  readonly apiVersion?: string | undefined;
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  readonly env?: readonly { name: string; value: string }[] | undefined;
  readonly provideClusterInfo?: boolean | undefined;
  readonly interactiveMode?: string | undefined;
}

/** A `users[]` entry. */
export interface User {
  readonly name: string;
  readonly token?: string | undefined;
  /** token-file: read again for every credential computation (in-cluster tokens rotate). */
  readonly tokenFile?: string | undefined;
  readonly certData?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyData?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly exec?: ExecConfig | undefined;
  /** A legacy auth-provider (gcp, oidc, azure): kept only to refuse it with a clear message. */
  readonly authProvider?: { name?: string } | undefined;
  /** `as`: sent as Impersonate-User. */
  readonly impersonateUser?: string | undefined;
}

/** A `contexts[]` entry. */
export interface Context {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string | undefined;
}

type Doc = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** `path` made absolute against `dir` (the kubeconfig's folder), as kubectl resolves file fields. */
function filePath(v: unknown, dir: string | undefined): string | undefined {
  const p = str(v);
  return p && dir && !isAbsolute(p) ? resolve(dir, p) : p;
}

/** The entries of `list` (clusters, users or contexts), each checked to have a name and its inner object. */
function entries(doc: Doc, list: string, inner: string): { name: string; body: Doc }[] {
  const raw = doc[list];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`${list} is not a list`);
  return raw.map((e: unknown, i) => {
    const entry = (e ?? {}) as Doc;
    const name = str(entry.name);
    if (!name) throw new Error(`${list}[${i}].name is missing`);
    const body = entry[inner];
    if (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body)))
      throw new Error(`${list}[${i}].${inner} is not a mapping`);
    return { name, body: (body ?? {}) as Doc };
  });
}

/** The clusters of a parsed document; `dir` resolves relative file paths. */
export function readClusters(doc: Doc, dir?: string): Cluster[] {
  return entries(doc, "clusters", "cluster").map(({ name, body }, i) => {
    const server = str(body.server);
    if (!server) throw new Error(`clusters[${i}].cluster.server is missing`);
    return {
      name,
      server: server.replace(/\/$/, ""),
      caData: str(body["certificate-authority-data"]),
      caFile: filePath(body["certificate-authority"], dir),
      skipTLSVerify: body["insecure-skip-tls-verify"] === true,
      tlsServerName: str(body["tls-server-name"]),
      proxyUrl: str(body["proxy-url"]),
    };
  });
}

function readExec(v: unknown, dir: string | undefined): ExecConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const e = v as Doc;
  const command = str(e.command);
  if (!command) throw new Error("exec.command is missing");
  const env = Array.isArray(e.env)
    ? (e.env as Doc[]).map((x) => ({ name: str(x.name) ?? "", value: typeof x.value === "string" ? x.value : "" }))
    : undefined;
  return {
    apiVersion: str(e.apiVersion),
    // kubectl resolves a command given as a relative path (with a slash) against the kubeconfig's folder.
    command: command.includes("/") ? (filePath(command, dir) ?? command) : command,
    args: Array.isArray(e.args) ? e.args.map(String) : undefined,
    env,
    provideClusterInfo: e.provideClusterInfo === true,
    interactiveMode: str(e.interactiveMode),
  };
}

/** The users of a parsed document; `dir` resolves relative file paths. */
export function readUsers(doc: Doc, dir?: string): User[] {
  return entries(doc, "users", "user").map(({ name, body }) => ({
    name,
    token: str(body.token),
    tokenFile: filePath(body["token-file"], dir),
    certData: str(body["client-certificate-data"]),
    certFile: filePath(body["client-certificate"], dir),
    keyData: str(body["client-key-data"]),
    keyFile: filePath(body["client-key"], dir),
    username: str(body.username),
    password: str(body.password),
    exec: readExec(body.exec, dir),
    authProvider: body["auth-provider"] ? (body["auth-provider"] as { name?: string }) : undefined,
    impersonateUser: str(body.as),
  }));
}

/** The contexts of a parsed document. */
export function readContexts(doc: Doc): Context[] {
  return entries(doc, "contexts", "context").map(({ name, body }) => ({
    name,
    cluster: str(body.cluster) ?? "",
    user: str(body.user) ?? "",
    namespace: str(body.namespace),
  }));
}

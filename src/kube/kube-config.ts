// The operator's kubeconfig model: clusters, users, contexts and the current context, and the TLS options and
// headers of the current one. It replaces client-node's KubeConfig, whose module loads the whole generated API
// client (~75 MiB of RSS) for what is a small YAML document (issue 18). Loading rules (which files, merging) stay in
// kubeconfig.ts; this file holds one document.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { CodedError } from "../net/coded-error.ts";
import { execCredential } from "./kube-config-exec.ts";
import { readClusters, readContexts, readUsers, type Cluster, type Context, type User } from "./kube-config-types.ts";

export type { Cluster, Context, User, ExecConfig } from "./kube-config-types.ts";

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The TLS options and headers applyToHTTPSOptions fills (a subset of https.RequestOptions). */
export interface HttpsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
  /** `user:password` for basic auth. */
  auth?: string;
  headers?: Record<string, unknown>;
}

/** What loadFromOptions takes. */
export interface KubeConfigOptions {
  clusters: readonly Cluster[];
  users: readonly User[];
  contexts: readonly Context[];
  currentContext: string;
}

function base64OrFile(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data, "base64");
  return file ? readFileSync(file) : undefined;
}

/** One kubeconfig document (see the file comment). */
export class KubeConfig {
  clusters: Cluster[] = [];
  users: User[] = [];
  contexts: Context[] = [];
  currentContext = "";

  /** Reads YAML (or JSON) text; relative file paths resolve against `dir` when given. */
  loadFromString(text: string, dir?: string): void {
    const doc: unknown = parseYaml(text);
    if (doc === null || doc === undefined)
      return this.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: "" });
    if (typeof doc !== "object" || Array.isArray(doc)) throw new Error("the kubeconfig is not a mapping");
    const d = doc as Record<string, unknown>;
    this.loadFromOptions({
      clusters: readClusters(d, dir),
      users: readUsers(d, dir),
      contexts: readContexts(d),
      currentContext: typeof d["current-context"] === "string" ? d["current-context"] : "",
    });
  }

  /** Reads a file; its relative certificate, key, token and command paths are relative to its folder, as kubectl. */
  loadFromFile(file: string): void {
    this.loadFromString(readFileSync(file, "utf8"), dirname(file));
  }

  /** Takes the entries as given. */
  loadFromOptions(options: KubeConfigOptions): void {
    this.clusters = [...options.clusters];
    this.users = [...options.users];
    this.contexts = [...options.contexts];
    this.currentContext = options.currentContext;
  }

  /**
   * The pod's ServiceAccount: KUBERNETES_SERVICE_HOST/PORT, its CA file and its token file (read again on every
   * credential computation, since the kubelet rotates it). `rootDir` prefixes the ServiceAccount folder (tests).
   */
  loadFromCluster(rootDir = "", env: NodeJS.ProcessEnv = process.env): void {
    const host = env.KUBERNETES_SERVICE_HOST ?? "";
    const port = env.KUBERNETES_SERVICE_PORT ?? "";
    const dir = `${rootDir}${SERVICE_ACCOUNT_DIR}`;
    const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    const scheme = port === "80" || port === "8080" || port === "8001" ? "http" : "https";
    this.loadFromOptions({
      clusters: [
        {
          name: "inCluster",
          server: `${scheme}://${hostPart}:${port}`,
          caFile: join(dir, "ca.crt"),
          skipTLSVerify: false,
        },
      ],
      users: [{ name: "inClusterUser", tokenFile: join(dir, "token") }],
      contexts: [{ name: "inClusterContext", cluster: "inCluster", user: "inClusterUser" }],
      currentContext: "inClusterContext",
    });
  }

  /** The current context's name. */
  getCurrentContext(): string {
    return this.currentContext;
  }

  /** Makes `name` current (it need not be checked here: kubeconfig.ts checks it). */
  setCurrentContext(name: string): void {
    this.currentContext = name;
  }

  /** The context named `name`, or null. */
  getContextObject(name: string): Context | null {
    return this.contexts.find((c) => c.name === name) ?? null;
  }

  /** The cluster named `name`, or null. */
  getCluster(name: string): Cluster | null {
    return this.clusters.find((c) => c.name === name) ?? null;
  }

  /** The user named `name`, or null. */
  getUser(name: string): User | null {
    return this.users.find((u) => u.name === name) ?? null;
  }

  /** The current context's cluster, or null. */
  getCurrentCluster(): Cluster | null {
    const context = this.getContextObject(this.currentContext);
    return context ? this.getCluster(context.cluster) : null;
  }

  /** The current context's user, or null. */
  getCurrentUser(): User | null {
    const context = this.getContextObject(this.currentContext);
    return context ? this.getUser(context.user) : null;
  }

  /** Fills TLS options (CA, client certificate, verification, SNI) and auth headers for the current context. */
  async applyToHTTPSOptions(opts: HttpsOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    if (cluster) applyCluster(cluster, opts);
    const user = this.getCurrentUser();
    if (user) await applyUser(user, cluster ?? undefined, opts);
  }
}

function applyCluster(cluster: Cluster, opts: HttpsOptions): void {
  const ca = base64OrFile(cluster.caData, cluster.caFile);
  if (ca) opts.ca = ca;
  if (cluster.skipTLSVerify) opts.rejectUnauthorized = false;
  if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
}

function setHeader(opts: HttpsOptions, name: string, value: string): void {
  opts.headers = { ...opts.headers, [name]: value };
}

function refuseAuthProvider(user: User): void {
  if (user.authProvider)
    throw new CodedError(
      `kubeconfig user "${user.name}" uses the auth-provider "${user.authProvider.name ?? "?"}", which kubectl no longer supports: use an exec credential plugin (e.g. gke-gcloud-auth-plugin, kubelogin)`,
      "AUTH_PROVIDER_UNSUPPORTED",
      false,
    );
}

/** Static credentials: client certificate and key, a token (its file read now), or basic auth. */
function applyStatic(user: User, opts: HttpsOptions): void {
  const cert = base64OrFile(user.certData, user.certFile);
  const key = base64OrFile(user.keyData, user.keyFile);
  if (cert) opts.cert = cert;
  if (key) opts.key = key;
  const token = user.token ?? (user.tokenFile ? readFileSync(user.tokenFile, "utf8").trim() : undefined);
  if (token) setHeader(opts, "Authorization", `Bearer ${token}`);
  else if (user.username !== undefined || user.password !== undefined)
    opts.auth = `${user.username ?? ""}:${user.password ?? ""}`;
}

async function applyUser(user: User, cluster: Cluster | undefined, opts: HttpsOptions): Promise<void> {
  refuseAuthProvider(user);
  applyStatic(user, opts);
  if (user.exec) {
    const got = await execCredential(user.exec, cluster);
    if (got.token) setHeader(opts, "Authorization", `Bearer ${got.token}`);
    if (got.clientCertificateData) opts.cert = Buffer.from(got.clientCertificateData);
    if (got.clientKeyData) opts.key = Buffer.from(got.clientKeyData);
  }
  if (user.impersonateUser) setHeader(opts, "Impersonate-User", user.impersonateUser);
}

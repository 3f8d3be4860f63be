// The one place a Kubernetes connection is chosen, the way kubectl (client-go's ClientConfigLoadingRules) chooses it:
// `--kubeconfig` alone when given; else every file of `KUBECONFIG` (colon-separated, missing files skipped, the
// first file to set a cluster, user, context or current-context wins); else `~/.kube/config`; else the in-cluster
// ServiceAccount. `--context` picks another context, whose namespace is the default one. One file is read into
// kube-config.ts's KubeConfig; merging and the choice of files are done here.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig, type Cluster, type Context, type User } from "./kube-config.ts";
import { parse as parseYaml } from "yaml";

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Why no usable connection could be built; the message says what to fix. Never transient. */
export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
  readonly code:
    | "KUBECONFIG_UNREADABLE"
    | "KUBECONFIG_INVALID"
    | "NO_KUBECONFIG"
    | "NO_CONTEXT"
    | "CONTEXT_NOT_FOUND"
    | "CONTEXT_INCOMPLETE";
  readonly transient = false;

  constructor(code: KubeConfigError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** What to load; `env` supplies KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST/PORT. */
export interface KubeConfigRequest {
  /** `--kubeconfig`: this file only (it must exist). */
  kubeconfig?: string | undefined;
  /** `--context`: a context other than the current one. */
  context?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Prefix of the ServiceAccount folder /var/run/secrets/kubernetes.io/serviceaccount (tests point it elsewhere). */
  rootDir?: string;
}

/** A loaded connection. */
export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  /** The context's name ("inClusterContext" in a pod). */
  context: string;
  /** The context's namespace, else the pod's namespace, else "default" (what `-n` defaults to). */
  namespace: string;
  /** The files merged, or ["in-cluster"]. */
  sources: string[];
}

/** The files kubectl would read, in precedence order. */
export function kubeconfigFiles(request: KubeConfigRequest): { files: string[]; explicit: boolean } {
  if (request.kubeconfig) return { files: [request.kubeconfig], explicit: true };
  const list = request.env.KUBECONFIG;
  if (list) return { files: [...new Set(list.split(delimiter).filter((f) => f !== ""))], explicit: false };
  return { files: [join(request.env.HOME || homedir(), ".kube", "config")], explicit: false };
}

/** One file as a KubeConfig, or undefined when it does not exist and need not (a KUBECONFIG entry). */
function readFile(file: string, explicit: boolean): KubeConfig | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return undefined;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : String(code);
    throw new KubeConfigError("KUBECONFIG_UNREADABLE", `cannot read kubeconfig ${file}: ${why}`);
  }
  const kc = new KubeConfig();
  if (text.trim() === "") return kc;
  try {
    // loadFromFile makes relative certificate and key paths relative to the file that names them, as kubectl does.
    kc.loadFromFile(file);
  } catch (err) {
    throw new KubeConfigError(
      "KUBECONFIG_INVALID",
      `invalid kubeconfig ${file}: ${(err as Error).message.split("\n")[0] ?? ""}`,
    );
  }
  return kc;
}

/** Merges kubectl's way: the first file to set a name (or the current context) keeps it. */
function merge(configs: readonly KubeConfig[]): KubeConfig {
  const firstOfEachName = <T extends { name: string }>(lists: (T[] | undefined)[]): T[] => {
    const byName = new Map<string, T>();
    for (const item of lists.flatMap((l) => l ?? [])) if (!byName.has(item.name)) byName.set(item.name, item);
    return [...byName.values()];
  };
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: firstOfEachName<Cluster>(configs.map((kc) => kc.clusters)),
    users: firstOfEachName<User>(configs.map((kc) => kc.users)),
    contexts: firstOfEachName<Context>(configs.map((kc) => kc.contexts)),
    currentContext: configs.map((kc) => kc.currentContext).find((name) => name) ?? "",
  });
  return merged;
}

function inClusterPossible(request: KubeConfigRequest): boolean {
  const dir = `${request.rootDir ?? ""}${SERVICE_ACCOUNT_DIR}`;
  return Boolean(
    request.env.KUBERNETES_SERVICE_HOST && request.env.KUBERNETES_SERVICE_PORT && existsSync(join(dir, "token")),
  );
}

/** The pod's ServiceAccount (KUBERNETES_SERVICE_HOST/PORT from the request's env). */
function inCluster(request: KubeConfigRequest): LoadedKubeConfig {
  const kc = new KubeConfig();
  kc.loadFromCluster(request.rootDir ?? "", request.env);
  const nsFile = `${request.rootDir ?? ""}${SERVICE_ACCOUNT_DIR}/namespace`;
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, "utf8").trim() : "";
  return { kubeConfig: kc, context: kc.currentContext, namespace: namespace || "default", sources: ["in-cluster"] };
}

/** Checks that `name` is a context whose cluster (with a server) and user exist. */
function useContext(kc: KubeConfig, name: string, sources: readonly string[]): Context {
  const where = sources.join(", ");
  const context = kc.getContextObject(name);
  if (!context) {
    const known = kc.contexts.map((c) => c.name).join(", ") || "none";
    throw new KubeConfigError(
      "CONTEXT_NOT_FOUND",
      `context "${name}" is not in the kubeconfig (${where}; contexts: ${known})`,
    );
  }
  if (!kc.getCluster(context.cluster))
    throw new KubeConfigError(
      "CONTEXT_INCOMPLETE",
      `context "${name}" names cluster "${context.cluster}", which is not in the kubeconfig (${where})`,
    );
  if (context.user && !kc.getUser(context.user))
    throw new KubeConfigError(
      "CONTEXT_INCOMPLETE",
      `context "${name}" names user "${context.user}", which is not in the kubeconfig (${where})`,
    );
  kc.setCurrentContext(name);
  return context;
}

/** Loads the connection as kubectl would (see the file comment); throws KubeConfigError saying what to fix. */
export function loadKubeConfig(request: KubeConfigRequest): LoadedKubeConfig {
  const { files, explicit } = kubeconfigFiles(request);
  const loaded = files.flatMap((f) => {
    const kc = readFile(f, explicit);
    return kc ? [{ file: f, kc }] : [];
  });
  const kc = merge(loaded.map((l) => l.kc));
  const sources = loaded.map((l) => l.file);
  if (loaded.length === 0 || (kc.contexts.length === 0 && kc.clusters.length === 0)) {
    if (inClusterPossible(request) && !request.context) return inCluster(request);
    const tried = request.env.KUBECONFIG ? `KUBECONFIG=${request.env.KUBECONFIG}` : files.join(", ");
    throw new KubeConfigError(
      "NO_KUBECONFIG",
      `no Kubernetes configuration found (${tried}): create ~/.kube/config, set KUBECONFIG, pass --kubeconfig, or run in a cluster`,
    );
  }
  const name = request.context || kc.currentContext;
  if (!name)
    throw new KubeConfigError(
      "NO_CONTEXT",
      `the kubeconfig (${sources.join(", ")}) has no current-context: pass --context NAME or run \`kubectl config use-context NAME\``,
    );
  const context = useContext(kc, name, sources);
  return { kubeConfig: kc, context: name, namespace: context.namespace || "default", sources };
}

/** Fields of a kubeconfig that run a program or read a local file, by where they sit. */
const LOCAL_FIELDS = {
  users: ["exec", "auth-provider", "token-file", "client-certificate", "client-key"],
  clusters: ["certificate-authority"],
} as const;

/** The plugin and file fields of one users / clusters entry, as `users[admin].exec`. */
function entryLocalFields(list: keyof typeof LOCAL_FIELDS, entry: Record<string, unknown>): string[] {
  const inner = entry[list === "users" ? "user" : "cluster"] as Record<string, unknown> | undefined;
  return LOCAL_FIELDS[list].filter((f) => inner?.[f] !== undefined).map((f) => `${list}[${String(entry.name)}].${f}`);
}

/** The plugin and file fields `doc` uses anywhere, before any file is read. */
function localFields(doc: unknown): string[] {
  return (Object.keys(LOCAL_FIELDS) as (keyof typeof LOCAL_FIELDS)[]).flatMap((list) => {
    const entries = (doc as Record<string, unknown> | null)?.[list];
    return Array.isArray(entries)
      ? (entries as Record<string, unknown>[]).flatMap((e) => entryLocalFields(list, e))
      : [];
  });
}

/**
 * A kubeconfig held as text (a Secret's key), at its current context. Only a self-contained one is taken: an exec or
 * auth-provider plugin, or any file reference (token file, client certificate or key, CA file), is refused before
 * anything reads it, since the text comes from the cluster and the programs and files would be the operator's own.
 */
export function kubeConfigFromText(text: string, source: string): LoadedKubeConfig {
  const kc = new KubeConfig();
  try {
    const local = localFields(parseYaml(text));
    if (local.length > 0)
      throw new KubeConfigError(
        "KUBECONFIG_INVALID",
        `the kubeconfig in ${source} uses ${local.join(", ")} (a plugin or a local file): only self-contained credentials (token, client-certificate-data, certificate-authority-data) are taken from a Secret`,
      );
    kc.loadFromString(text);
  } catch (err) {
    if (err instanceof KubeConfigError) throw err;
    throw new KubeConfigError(
      "KUBECONFIG_INVALID",
      `invalid kubeconfig in ${source}: ${(err as Error).message.split("\n")[0] ?? ""}`,
    );
  }
  const name = kc.currentContext;
  if (!name) throw new KubeConfigError("NO_CONTEXT", `the kubeconfig in ${source} has no current-context`);
  const context = useContext(kc, name, [source]);
  return { kubeConfig: kc, context: name, namespace: context.namespace || "default", sources: [source] };
}

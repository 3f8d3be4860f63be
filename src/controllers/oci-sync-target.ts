// Which cluster an OciSync syncs into: the operator's own, or the one a kubeconfig Secret names
// (spec.kubeConfig.secretRef, Flux's kubeConfig). Objects are applied, health-checked and pruned there; the
// inventory stays with the OciSync in the operator's cluster (status.inventory, or its inventory ConfigMap), as Flux
// keeps it in the Kustomization's status, so it survives the remote cluster's outages and a deleted OciSync can
// still be pruned. Tenancy does not change: the scope is the OciSync's namespace there too, and a tenant sync
// impersonates its ServiceAccount (of the same namespace name) in the remote cluster.
// The kubeconfig must be self-contained and safe to use from the operator: its current context's user authenticates
// with a bearer token or a client certificate held inline. exec plugins, auth-provider plugins, files of the
// operator's filesystem (token, certificate, key or CA files), basic auth and insecure-skip-tls-verify are refused
// with InvalidKubeConfig; the server passes the operator's endpoint policy like a registry does. Before each sync the
// API server is asked for /version (retried with src/net/backoff.ts); when it cannot be reached the reconcile fails
// with RemoteClusterUnavailable and the controller retries it with its per-object backoff until it answers again.
import { KubeConfig, type Cluster, type User } from "../kube/kube-config.ts";
import type { OciSync } from "../api/oci-sync.ts";
import { isStatus } from "../kube/api-error.ts";
import { StallingError, TransientError } from "../kube/errors.ts";
import { KubeClient } from "../kube/rest-client.ts";
import type { SecretReader } from "../kube/secrets.ts";
import { withRetry, type RetryPolicy } from "../net/backoff.ts";
import { CodedError } from "../net/coded-error.ts";
import type { EndpointPolicy } from "../net/endpoint-policy.ts";
import { isTransientNetworkFailure } from "../net/network-errors.ts";

/** The keys read when spec.kubeConfig.secretRef names none, in order (Flux's). */
export const KUBECONFIG_KEYS = ["value", "value.yaml"] as const;

/** The probe's retries inside one reconcile; the controller's backoff takes over after them. */
const PROBE_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 2_000, maxRetryAfterMs: 2_000 };
const PROBE_TIMEOUT_MS = 5_000;

/** What resolving a target needs. */
export interface TargetInput {
  sync: OciSync;
  secrets: SecretReader;
  endpointPolicy: EndpointPolicy;
  signal?: AbortSignal;
}

/** A probe failure worth another attempt (no answer, or 5xx/429). */
class ProbeError extends CodedError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "REMOTE_UNAVAILABLE", true, options);
  }
}

function invalid(where: string, detail: string): StallingError {
  return new StallingError("InvalidKubeConfig", `failed to use the kubeconfig of ${where}: ${detail}`);
}

/** Why a user cannot be used from the operator, or undefined when it can. */
function userProblem(user: User): string | undefined {
  if (user.exec)
    return "its user runs an exec credential plugin, which the operator never runs; use a token or a client certificate";
  if (user.authProvider) return "its user names an auth-provider plugin; use a token or a client certificate";
  if (user.certFile || user.keyFile)
    return "its user names certificate or key files of the operator's filesystem; embed them as client-certificate-data and client-key-data";
  if (user.username || user.password) return "its user uses basic auth; use a token or a client certificate";
  if (user.token) return undefined;
  if (user.certData && user.keyData) return undefined;
  return "its user has neither a token nor client-certificate-data with client-key-data";
}

/** Why a cluster entry cannot be used, or undefined when it can. */
function clusterProblem(cluster: Cluster): string | undefined {
  if (cluster.skipTLSVerify) return "its cluster sets insecure-skip-tls-verify; give certificate-authority-data";
  if (cluster.caFile)
    return "its cluster names a CA file of the operator's filesystem; embed it as certificate-authority-data";
  if (cluster.proxyUrl) return "its cluster names a proxy-url, which the operator does not use";
  if (!cluster.server.startsWith("https://")) return `its server ${cluster.server} is not https`;
  return undefined;
}

/** The Secret's kubeconfig text, by the named key or Flux's defaults. */
async function kubeconfigText(input: TargetInput, where: string): Promise<string> {
  const ref = input.sync.spec.kubeConfig?.secretRef;
  if (!ref) throw new Error("unreachable: no spec.kubeConfig");
  const secret = await input.secrets.secret(input.sync.metadata.namespace ?? "", { name: ref.name }, input.signal);
  const keys = ref.key ? [ref.key] : KUBECONFIG_KEYS;
  for (const key of keys) {
    const text = secret.data[key]?.toString("utf8");
    if (text && text.trim() !== "") return text;
  }
  const present = Object.keys(secret.data).sort().join(", ") || "none";
  throw invalid(where, `the Secret has no key ${keys.join(" or ")} (keys: ${present})`);
}

/** Parses and checks the kubeconfig (`where` names its Secret); returns one holding its current context only. */
export function parseKubeconfig(text: string, where: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (err) {
    throw invalid(where, `it does not parse: ${(err as Error).message.split("\n")[0] ?? ""}`);
  }
  const context = kc.getContextObject(kc.getCurrentContext());
  const cluster = context ? kc.getCluster(context.cluster) : null;
  const user = context ? kc.getUser(context.user) : null;
  if (!context || !cluster || !user)
    throw invalid(where, "its current-context does not name a cluster and a user it holds");
  const problem = clusterProblem(cluster) ?? userProblem(user);
  if (problem) throw invalid(where, problem);
  const only = new KubeConfig();
  only.loadFromOptions({ clusters: [cluster], users: [user], contexts: [context], currentContext: context.name });
  return only;
}

const TRANSIENT_STATUSES = [500, 502, 503, 504, 429, 408];

/** GET /version until it answers; RemoteClusterUnavailable when it does not. */
async function probe(kc: KubeConfig, where: string, signal?: AbortSignal): Promise<void> {
  const client = new KubeClient(kc);
  const server = kc.getCurrentCluster()?.server ?? "";
  const once = async (): Promise<void> => {
    try {
      await client.request("/version", { signal, timeoutMs: PROBE_TIMEOUT_MS });
    } catch (err) {
      if (isTransientNetworkFailure(err) || isStatus(err, ...TRANSIENT_STATUSES))
        throw new ProbeError(`cannot reach ${server}: ${(err as Error).message}`, { cause: err });
      if (isStatus(err, 401)) throw invalid(where, `the API server ${server} refused its credentials (401)`);
      throw err;
    }
  };
  try {
    await withRetry(once, PROBE_RETRY, signal);
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    throw new TransientError("RemoteClusterUnavailable", `the cluster of ${where} is unavailable: ${err.message}`, {
      cause: err,
    });
  } finally {
    await client.close();
  }
}

/**
 * The cluster `input.sync` syncs into: undefined for the operator's own, else the kubeconfig of its Secret, checked
 * and (with `probe`) found answering. Throws InvalidKubeConfig (Stalled), SecretNotFound, RemoteClusterUnavailable.
 */
export async function syncTarget(input: TargetInput, options: { probe: boolean }): Promise<KubeConfig | undefined> {
  const ref = input.sync.spec.kubeConfig?.secretRef;
  if (!ref) return undefined;
  const where = `Secret ${input.sync.metadata.namespace ?? ""}/${ref.name}`;
  const kc = parseKubeconfig(await kubeconfigText(input, where), where);
  try {
    input.endpointPolicy.checkUrl(kc.getCurrentCluster()?.server ?? "");
  } catch (err) {
    throw invalid(where, (err as Error).message);
  }
  if (options.probe) await probe(kc, where, input.signal);
  return kc;
}

// Exec credential plugins (gke-gcloud-auth-plugin, gdcloud, kubelogin): run the kubeconfig's command the way kubectl
// does (args, env, KUBERNETES_EXEC_INFO) and read its ExecCredential, kept until its expirationTimestamp.
// https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins
import { execFile } from "node:child_process";
import { CodedError } from "../net/coded-error.ts";
import type { Cluster, ExecConfig } from "./kube-config-types.ts";

const API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];
const MAX_OUTPUT = 1 << 20;

/** What a plugin gave: a bearer token or a client certificate and key (PEM). */
export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
}

/** A plugin that could not be run or gave no usable credential; the message names the command. */
export class CredentialPluginError extends CodedError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "CREDENTIAL_PLUGIN_FAILED", false, options);
  }
}

const cache = new Map<string, { credential: ExecCredential; expiresMs: number }>();

function execInfo(exec: ExecConfig, apiVersion: string, cluster: Cluster | undefined): string {
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo && cluster) {
    spec.cluster = {
      server: cluster.server,
      "tls-server-name": cluster.tlsServerName,
      "certificate-authority-data": cluster.caData,
      "insecure-skip-tls-verify": cluster.skipTLSVerify,
      "proxy-url": cluster.proxyUrl,
    };
  }
  return JSON.stringify({ apiVersion, kind: "ExecCredential", spec });
}

function run(exec: ExecConfig, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(exec.command, [...(exec.args ?? [])], { env, maxBuffer: MAX_OUTPUT }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT"
          ? "it was not found (install it or fix users[].user.exec.command)"
          : code === "EACCES"
            ? "it is not executable"
            : `it failed: ${String(stderr).trim().split("\n").slice(-3).join(" ") || err.message}`;
      reject(new CredentialPluginError(`kubeconfig exec plugin "${exec.command}": ${why}`, { cause: err }));
    });
  });
}

function credentialOf(s: Record<string, unknown>): ExecCredential | undefined {
  const credential: ExecCredential = {};
  if (typeof s.token === "string" && s.token) credential.token = s.token;
  if (typeof s.clientCertificateData === "string" && typeof s.clientKeyData === "string") {
    credential.clientCertificateData = s.clientCertificateData;
    credential.clientKeyData = s.clientKeyData;
  }
  return credential.token || credential.clientCertificateData ? credential : undefined;
}

function parse(
  exec: ExecConfig,
  apiVersion: string,
  stdout: string,
): { credential: ExecCredential; expiresMs: number } {
  let doc: { apiVersion?: string; status?: Record<string, unknown> };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    throw new CredentialPluginError(`kubeconfig exec plugin "${exec.command}" printed no ExecCredential JSON`);
  }
  if (doc.apiVersion !== apiVersion)
    throw new CredentialPluginError(
      `kubeconfig exec plugin "${exec.command}" answered apiVersion ${String(doc.apiVersion)}, expected ${apiVersion}`,
    );
  const s = doc.status ?? {};
  const credential = credentialOf(s);
  if (!credential)
    throw new CredentialPluginError(
      `kubeconfig exec plugin "${exec.command}" gave neither status.token nor status.clientCertificateData and clientKeyData`,
    );
  const expiry = typeof s.expirationTimestamp === "string" ? Date.parse(s.expirationTimestamp) : NaN;
  // Without an expiry kubectl keeps the credential for the process's life; so do we.
  return { credential, expiresMs: Number.isNaN(expiry) ? Infinity : expiry };
}

/** The plugin's credential, from the cache while it has not expired. */
export async function execCredential(exec: ExecConfig, cluster?: Cluster): Promise<ExecCredential> {
  const apiVersion = exec.apiVersion ?? "";
  if (!API_VERSIONS.includes(apiVersion))
    throw new CredentialPluginError(
      `kubeconfig exec plugin "${exec.command}" has apiVersion "${apiVersion}"; use ${API_VERSIONS.join(" or ")}`,
    );
  const key = JSON.stringify([exec, cluster?.server]);
  const hit = cache.get(key);
  if (hit && Date.now() < hit.expiresMs) return hit.credential;
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: execInfo(exec, apiVersion, cluster) };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  const got = parse(exec, apiVersion, await run(exec, env));
  cache.set(key, got);
  return got.credential;
}

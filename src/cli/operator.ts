// `airlift operator`: builds the Manager from flags (and their environment fallbacks), registers every controller
// of src/controllers, and runs until SIGTERM/SIGINT (exit 0 after a graceful stop) or a lost lease (exit 1).
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import { resolveDefaults, type OperatorDefaults } from "../controllers/defaults.ts";
import { CONTROLLERS } from "../controllers/index.ts";
import { operatorEndpointPolicy } from "./operator-endpoint-policy.ts";
import { Manager } from "../kube/manager.ts";
import { missingResources } from "../kube/discovery.ts";
import { ARTIFACT_PULL, IMAGE_IMPORT, OCI_SYNC } from "../api/group-version.ts";
import { createLogger } from "../observability/logger.ts";
import { EXIT_FAILURE, EXIT_OK, UsageError, envBool, parseDuration, parsePositiveInt, type CliIO, type Command } from "./command.ts";

const NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

const USAGE = `Usage: airlift operator [flags]

Runs the ImageImport, ArtifactPull and OciSync controllers.

Flags (environment fallback in brackets):
  --kubeconfig PATH                    kubeconfig file [KUBECONFIG]; in-cluster config when unset
  --namespace NS                       the operator's own namespace, holds the leader Lease
                                       [POD_NAMESPACE; in-cluster namespace file; "airlift-system"]
  --watch-namespace NS                 reconcile objects of this namespace only (default: all) [AIRLIFT_WATCH_NAMESPACE]
  --leader-elect                       run leader election so only one replica reconciles [AIRLIFT_LEADER_ELECT]
  --leader-election-id NAME            name of the Lease (default "airlift-leader")
  --lease-duration D                   how long a lease is valid without renewal (default 15s)
  --renew-deadline D                   how long the leader retries renewing before giving up (default 10s)
  --retry-period D                     how often candidates retry and the leader renews (default 2s)
  --identity NAME                      this replica's identity [POD_NAME; hostname] plus a random suffix
  --workers N                          concurrent reconciles per controller (default 2) [AIRLIFT_WORKERS]
  --metrics-addr HOST:PORT             /metrics listen address, "0" to disable (default ":8080") [AIRLIFT_METRICS_ADDR]
  --health-addr HOST:PORT              /healthz and /readyz listen address, "0" to disable (default ":8081") [AIRLIFT_HEALTH_ADDR]
  --allow-cross-namespace-secrets      let resources reference Secrets/ConfigMaps in other namespaces
                                       [AIRLIFT_ALLOW_CROSS_NAMESPACE_SECRETS]
  --shutdown-timeout D                 how long SIGTERM waits for running reconciles (default 30s)
  --default-registry HOST[:PORT]       registry used when a resource names none [AIRLIFT_DEFAULT_REGISTRY]
  --default-s3-endpoint URL            S3 endpoint used when a resource names none [AIRLIFT_DEFAULT_S3_ENDPOINT]
  --dns-suffix SUFFIX                  derive harbor.SUFFIX and https://objectstorage.SUFFIX as the defaults
                                       [AIRLIFT_DNS_SUFFIX]
  --allow-loopback-endpoints           let resources name loopback registry / S3 endpoints (local testing)
                                       [AIRLIFT_ALLOW_LOOPBACK_ENDPOINTS]
  --allow-link-local-endpoints         let resources name link-local endpoints (169.254.0.0/16, fe80::/10)
                                       [AIRLIFT_ALLOW_LINK_LOCAL_ENDPOINTS]
  --work-dir PATH                      where pulled and extracted content is staged [AIRLIFT_WORK_DIR; $TMPDIR/airlift]
  --log-level LEVEL                    fatal|error|warn|info|debug|trace (default info) [LOG_LEVEL]
`;

const OPTIONS = {
  kubeconfig: { type: "string" },
  namespace: { type: "string" },
  "watch-namespace": { type: "string" },
  "leader-elect": { type: "boolean" },
  "leader-election-id": { type: "string", default: "airlift-leader" },
  "lease-duration": { type: "string", default: "15s" },
  "renew-deadline": { type: "string", default: "10s" },
  "retry-period": { type: "string", default: "2s" },
  identity: { type: "string" },
  workers: { type: "string" },
  "metrics-addr": { type: "string" },
  "health-addr": { type: "string" },
  "allow-cross-namespace-secrets": { type: "boolean" },
  "shutdown-timeout": { type: "string", default: "30s" },
  "log-level": { type: "string" },
  "default-registry": { type: "string" },
  "default-s3-endpoint": { type: "string" },
  "dns-suffix": { type: "string" },
  "work-dir": { type: "string" },
  "allow-loopback-endpoints": { type: "boolean" },
  "allow-link-local-endpoints": { type: "boolean" },
} as const;

/** The operator's resolved settings. */
export interface OperatorConfig {
  kubeconfig: string | undefined;
  namespace: string;
  watchNamespace: string | undefined;
  leaderElect: boolean;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity: string;
  workers: number;
  metricsAddr: string | undefined;
  healthAddr: string | undefined;
  allowCrossNamespaceSecrets: boolean;
  shutdownTimeoutMs: number;
  logLevel: string | undefined;
  defaults: OperatorDefaults;
  allowLoopbackEndpoints: boolean;
  allowLinkLocalEndpoints: boolean;
}

function ownNamespace(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  if (existsSync(NAMESPACE_FILE)) return readFileSync(NAMESPACE_FILE, "utf8").trim();
  return "airlift-system";
}

const disabled = (addr: string): string | undefined => (addr === "0" || addr === "" ? undefined : addr);

/** Parses flags with environment fallbacks. */
export function parseOperatorConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  return {
    kubeconfig: v.kubeconfig ?? (env.KUBECONFIG || undefined),
    namespace: ownNamespace(v.namespace, env),
    watchNamespace: v["watch-namespace"] ?? (env.AIRLIFT_WATCH_NAMESPACE || undefined),
    leaderElect: v["leader-elect"] ?? envBool(env.AIRLIFT_LEADER_ELECT) ?? false,
    leaderElectionId: v["leader-election-id"],
    leaseDurationMs: parseDuration(v["lease-duration"]),
    renewDeadlineMs: parseDuration(v["renew-deadline"]),
    retryPeriodMs: parseDuration(v["retry-period"]),
    identity: `${v.identity ?? env.POD_NAME ?? hostname()}_${randomBytes(4).toString("hex")}`,
    workers: parsePositiveInt("workers", v.workers ?? env.AIRLIFT_WORKERS ?? "2"),
    metricsAddr: disabled(v["metrics-addr"] ?? env.AIRLIFT_METRICS_ADDR ?? ":8080"),
    healthAddr: disabled(v["health-addr"] ?? env.AIRLIFT_HEALTH_ADDR ?? ":8081"),
    allowCrossNamespaceSecrets: v["allow-cross-namespace-secrets"] ?? envBool(env.AIRLIFT_ALLOW_CROSS_NAMESPACE_SECRETS) ?? false,
    shutdownTimeoutMs: parseDuration(v["shutdown-timeout"]),
    logLevel: v["log-level"] ?? (env.LOG_LEVEL || undefined),
    allowLoopbackEndpoints: v["allow-loopback-endpoints"] ?? envBool(env.AIRLIFT_ALLOW_LOOPBACK_ENDPOINTS) ?? false,
    allowLinkLocalEndpoints: v["allow-link-local-endpoints"] ?? envBool(env.AIRLIFT_ALLOW_LINK_LOCAL_ENDPOINTS) ?? false,
    defaults: resolveDefaults({
      registry: v["default-registry"] ?? env.AIRLIFT_DEFAULT_REGISTRY,
      s3Endpoint: v["default-s3-endpoint"] ?? env.AIRLIFT_DEFAULT_S3_ENDPOINT,
      dnsSuffix: v["dns-suffix"] ?? env.AIRLIFT_DNS_SUFFIX,
      workDir: v["work-dir"] ?? env.AIRLIFT_WORK_DIR,
    }),
  };
}

function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else throw new UsageError("no Kubernetes connection: pass --kubeconfig, set KUBECONFIG, or run in a cluster");
  return kc;
}

/** Runs the operator until a signal; resolves to the exit code. */
export async function runOperator(cfg: OperatorConfig, io: CliIO): Promise<number> {
  const log = createLogger({ level: cfg.logLevel, destination: io.stdout });
  const kubeConfig = loadKubeConfig(cfg.kubeconfig);
  const endpointPolicy = await operatorEndpointPolicy({
    allowLoopback: cfg.allowLoopbackEndpoints,
    allowLinkLocal: cfg.allowLinkLocalEndpoints,
    apiServer: kubeConfig.getCurrentCluster()?.server,
    ownListeners: [cfg.metricsAddr, cfg.healthAddr],
  });
  const manager = new Manager({
    kubeConfig,
    log,
    namespace: cfg.namespace,
    identity: cfg.identity,
    workers: cfg.workers,
    watchNamespace: cfg.watchNamespace,
    allowCrossNamespaceSecrets: cfg.allowCrossNamespaceSecrets,
    metricsAddr: cfg.metricsAddr,
    healthAddr: cfg.healthAddr,
    shutdownTimeoutMs: cfg.shutdownTimeoutMs,
    leaderElection: cfg.leaderElect
      ? { name: cfg.leaderElectionId, leaseDurationMs: cfg.leaseDurationMs, renewDeadlineMs: cfg.renewDeadlineMs, retryPeriodMs: cfg.retryPeriodMs }
      : undefined,
  });
  const deps = {
    client: manager.client,
    log,
    metrics: manager.metrics,
    events: manager.events,
    secrets: manager.secrets,
    operatorNamespace: cfg.namespace,
    identity: manager.identity,
    defaults: cfg.defaults,
    endpointPolicy,
  };
  for (const factory of CONTROLLERS) manager.add(factory(deps));
  const stopped = new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) {
        log.warn({ signal }, "second signal; exiting without waiting");
        process.exit(EXIT_FAILURE);
      }
      log.info({ signal }, "signal received; stopping");
      manager.stop().then(
        () => resolve(EXIT_OK),
        (err: unknown) => {
          log.error({ error: err instanceof Error ? err.message : String(err) }, "shutdown failed");
          resolve(EXIT_FAILURE);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  log.info(
    { identity: manager.identity, namespace: cfg.namespace, leaderElect: cfg.leaderElect, controllers: CONTROLLERS.length },
    "starting operator",
  );
  const missing = await missingResources(manager.client, [IMAGE_IMPORT, ARTIFACT_PULL, OCI_SYNC]);
  if (missing.length > 0) {
    log.error(
      { missing: missing.map((r) => `${r.plural}.${r.group}/${r.version}`) },
      "the API server does not serve these kinds: install the CustomResourceDefinitions first (kubectl apply -f crds/, or kubectl apply -k deploy/, or the Helm chart)",
    );
    await manager.stop();
    return EXIT_FAILURE;
  }
  await manager.start();
  log.info({ servers: manager.serverUrls }, "operator started");
  return stopped;
}

export const command: Command = {
  name: "operator",
  summary: "run the controllers",
  usage: USAGE,
  run: (argv, io) => runOperator(parseOperatorConfig(argv, io.env), io),
};

// `airlift operator`: builds the Manager from flags (and their environment fallbacks), registers every controller
// of src/controllers, and runs until SIGTERM/SIGINT (exit 0 after a graceful stop) or a lost lease (exit 1).
import { Command } from "commander";
import { CONTROLLERS } from "../controllers/index.ts";
import { startSiteDiscovery } from "../controllers/site-start.ts";
import { publishSite } from "../controllers/site-publish.ts";
import { operatorEndpointPolicy } from "./operator-endpoint-policy.ts";
import { Manager } from "../kube/manager.ts";
import { sharedConnections } from "../net/connection-cache.ts";
import { missingResources } from "../kube/discovery.ts";
import { ARTIFACT_PULL, IMAGE_IMPORT, OCI_SYNC } from "../api/group-version.ts";
import type { Logger } from "pino";
import { createLogger } from "../observability/logger.ts";
import { EXIT_FAILURE, EXIT_OK, type CliContext, type CliIO } from "./command.ts";
import { addKubeFlags, kubeConnection } from "./kube-flags.ts";
import { airliftVersion } from "./version.ts";
import { addOperatorFlags, operatorConfig, type OperatorConfig, type OperatorFlags } from "./operator-config.ts";

/** Runs the operator until a signal; resolves to the exit code. */
export async function runOperator(cfg: OperatorConfig, io: CliIO): Promise<number> {
  const log = createLogger({ level: cfg.logLevel, destination: io.stdout });
  const { kubeConfig } = kubeConnection(cfg, io.env);
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
    watchLabelSelector: cfg.watchLabelSelector,
    allowCrossNamespaceSecrets: cfg.allowCrossNamespaceSecrets,
    metricsAddr: cfg.metricsAddr,
    healthAddr: cfg.healthAddr,
    shutdownTimeoutMs: cfg.shutdownTimeoutMs,
    leaderElection: cfg.leaderElect
      ? {
          name: cfg.leaderElectionId,
          leaseDurationMs: cfg.leaseDurationMs,
          renewDeadlineMs: cfg.renewDeadlineMs,
          retryPeriodMs: cfg.retryPeriodMs,
        }
      : undefined,
  });
  manager.secrets.setSourceNamespaces(cfg.secretSourceNamespaces);
  // Discovery starts before the controllers, so the first reconciles already see the site's values.
  const site = await startSiteDiscovery({
    client: manager.client,
    defaults: cfg.defaults,
    log,
    dnsSuffixConfigMap: cfg.dnsSuffixConfigMap,
    harborCluster: cfg.harborCluster,
    adminKubeconfig: cfg.adminKubeconfig,
    caBundle: cfg.caBundle,
  }).catch(async (err: unknown) => {
    await manager.stop().catch(() => undefined);
    throw err;
  });
  const published = publishSite({
    client: manager.client,
    namespace: cfg.namespace,
    profile: cfg.siteProfile,
    defaults: cfg.defaults,
    secretSourceNamespaces: cfg.secretSourceNamespaces,
    watched: site.watched,
    log,
  });
  // Reconciles share S3 clients and registry connection pools (net/connection-cache.ts), closed once they stopped.
  sharedConnections.enable();
  const stopAll = async (): Promise<void> => {
    await Promise.all([manager.stop(), site.stop(), published.stop()]);
    await sharedConnections.close();
  };
  const deps = {
    client: manager.client,
    log,
    metrics: manager.metrics,
    events: manager.events,
    secrets: manager.secrets,
    operatorNamespace: cfg.namespace,
    identity: manager.identity,
    version: airliftVersion(),
    defaults: cfg.defaults,
    endpointPolicy,
    kustomize: cfg.kustomize,
    syncMaxObjects: cfg.syncMaxObjects,
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
      stopAll().then(
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
    {
      identity: manager.identity,
      namespace: cfg.namespace,
      leaderElect: cfg.leaderElect,
      controllers: CONTROLLERS.length,
      siteProfile: cfg.siteProfile,
      secretSourceNamespaces: cfg.secretSourceNamespaces,
      allowCrossNamespaceSecrets: cfg.allowCrossNamespaceSecrets,
      siteDiscovery: site.watched,
      defaults: cfg.defaults.describe(),
    },
    "starting operator",
  );
  // A start that fails (API server unreachable, kinds missing) stops what already runs: a discovery watch left
  // retrying would keep the process alive, neither serving nor exiting for its restart.
  try {
    if (!(await kindsServed(manager, log))) {
      await stopAll();
      return EXIT_FAILURE;
    }
    await manager.start();
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
  log.info({ servers: manager.serverUrls }, "operator started");
  return stopped;
}

/** True when the API server serves the three kinds; logs what to install otherwise. */
async function kindsServed(manager: Manager, log: Logger): Promise<boolean> {
  const missing = await missingResources(manager.client, [IMAGE_IMPORT, ARTIFACT_PULL, OCI_SYNC]);
  if (missing.length === 0) return true;
  log.error(
    { missing: missing.map((r) => `${r.plural}.${r.group}/${r.version}`) },
    "the API server does not serve these kinds: install the CustomResourceDefinitions first (kubectl apply -f crds/, or kubectl apply -k deploy/, or the Helm chart)",
  );
  return false;
}

/** The `operator` command. */
export function command(ctx: CliContext): Command {
  const cmd = new Command("operator").description(
    "Run the ImageImport, ArtifactPull and OciSync controllers until SIGTERM / SIGINT (exit 0) or a lost lease (exit 1).",
  );
  return addOperatorFlags(addKubeFlags(cmd)).action(async (flags: OperatorFlags) => {
    ctx.exitCode = await runOperator(operatorConfig(flags, ctx.io.env), ctx.io);
  });
}

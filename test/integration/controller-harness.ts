// One reconciler in a real Manager for a test: watching one namespace, with the dependencies the real operator
// builds (the loopback allowance included, since the test servers listen on 127.0.0.1); debug logs go to the suite's
// log folder, which the suite scans for secret values.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "../../src/kube/kube-config.ts";
import { resolveDefaults } from "../../src/controllers/defaults.ts";
import type { ControllerFactory } from "../../src/controllers/deps.ts";
import { Manager } from "../../src/kube/manager.ts";
import { sharedConnections } from "../../src/net/connection-cache.ts";
import { EndpointPolicy } from "../../src/net/endpoint-policy.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { suiteLog } from "../env/suite-logs.ts";

/** Starts a Manager running `factory`'s controller over `namespace`; stop it with `manager.stop()`. */
export async function startControllerManager(
  kubeConfig: KubeConfig,
  namespace: string,
  factory: ControllerFactory,
  workers = 2,
): Promise<Manager> {
  const log = createLogger({ level: "debug", destination: suiteLog(`controller-${namespace}`) });
  // Reconciles share connection pools as in the operator (which also closes them on shutdown; a test process exits).
  sharedConnections.enable();
  const manager = new Manager({ kubeConfig, log, namespace, watchNamespace: namespace, workers });
  manager.add(
    factory({
      client: manager.client,
      log,
      metrics: manager.metrics,
      events: manager.events,
      secrets: manager.secrets,
      operatorNamespace: namespace,
      identity: manager.identity,
      defaults: resolveDefaults({ workDir: mkdtempSync(join(tmpdir(), "airlift-controller-work-")) }),
      endpointPolicy: new EndpointPolicy({ allowLoopback: true }),
    }),
  );
  await manager.start();
  return manager;
}

// The controllers the operator runs. Reconciler authors add one factory per kind to CONTROLLERS; the operator
// command builds each with the manager's shared dependencies and adds it to the manager.
import { createArtifactPullController } from "./artifact-pull.ts";
import { createImageImportController } from "./image-import.ts";
import type { Logger } from "pino";
import type { EndpointPolicy } from "../net/endpoint-policy.ts";
import type { OperatorDefaults } from "./defaults.ts";
import type { Controller } from "../kube/controller.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import type { SecretReader } from "../kube/secrets.ts";
import type { Metrics } from "../observability/metrics.ts";
import { createOciSyncController } from "./oci-sync.ts";

/** What a controller factory receives. */
export interface ControllerDeps {
  client: KubeClient;
  log: Logger;
  metrics: Metrics;
  events: EventRecorder;
  secrets: SecretReader;
  /** The operator's own namespace (OciSync treats objects elsewhere as namespace-scoped). */
  operatorNamespace: string;
  /** This replica's identity (for field managers and event reporting). */
  identity: string;
  /** Registry / S3 endpoint defaults and the staging folder. */
  defaults: OperatorDefaults;
  /** The SSRF policy every registry / Harbor / S3 client built from a resource must use (`endpointPolicy` option). */
  endpointPolicy: EndpointPolicy;
}

/** Builds one controller. */
export type ControllerFactory = (deps: ControllerDeps) => Controller;

/** Every controller the operator runs, in start order. */
export const CONTROLLERS: ControllerFactory[] = [
  (deps: ControllerDeps): Controller => createImageImportController(deps),
  (deps: ControllerDeps): Controller => createArtifactPullController(deps),
  (deps: ControllerDeps): Controller => createOciSyncController(deps),
];

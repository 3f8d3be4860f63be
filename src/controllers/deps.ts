// What every controller factory receives from the operator command: the manager's shared client, logger, metrics,
// events and Secret reader, plus the operator-wide settings. Its own file so the reconcilers and the list of
// controllers (index.ts) both import it without importing each other.
import type { Logger } from "pino";
import type { Controller } from "../kube/controller.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import type { SecretReader } from "../kube/secrets.ts";
import type { EndpointPolicy } from "../net/endpoint-policy.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { KustomizeLimits } from "../sync/index.ts";
import type { OperatorDefaults } from "./defaults.ts";

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
  /** airlift's version (drop-box receipts name it). */
  version?: string;
  /** Registry / S3 endpoint defaults and the staging folder. */
  defaults: OperatorDefaults;
  /** The kustomize binary OciSync renders kustomizations with; undefined: rendering is off (they are refused). */
  kustomize?: string;
  /** Bounds of each `kustomize build` (time, output, memory); unset ones take render-kustomize.ts's defaults. */
  kustomizeLimits?: Partial<KustomizeLimits>;
  /** Most objects one OciSync may apply (`--sync-max-objects`); undefined: the loader's default (100,000). */
  syncMaxObjects?: number;
  /** The SSRF policy every registry / Harbor / S3 client built from a resource must use (`endpointPolicy` option). */
  endpointPolicy: EndpointPolicy;
}

/** Builds one controller. */
export type ControllerFactory = (deps: ControllerDeps) => Controller;

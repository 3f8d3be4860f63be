// Shared pieces of the kube-* integration tests: a test CRD of their own (Widget), a reconciler that records what it
// was asked to do, and a manager wired for tests (loopback servers on free ports, logs captured in memory).
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeConfig } from "../../src/kube/kube-config.ts";
import { isNotFound } from "../../src/kube/api-error.ts";
import { Controller, type ControllerOptions } from "../../src/kube/controller.ts";
import { Manager, type ManagerOptions } from "../../src/kube/manager.ts";
import type { ReconcileContext, Reconciler, Request, Result } from "../../src/kube/reconciler.ts";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import type { KubeObject, ResourceType } from "../../src/kube/resource.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createMetrics } from "../../src/observability/metrics.ts";

/** A unique, DNS-safe name. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** The Widget kind in `group` (each test file uses its own group, so files can run in parallel). */
export function widgetType(group: string): ResourceType {
  return { group, version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
}

/** The Widget CRD of `group` (status subresource on; spec.size an integer, spec.mode a string). */
export function widgetCrd(group: string): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: { type: "object", properties: { size: { type: "integer" }, mode: { type: "string" } } },
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
        },
      ],
    },
  };
}

/** Creates the Widget CRD (widgetCrd) and waits until it is served. */
export async function installWidgetCrd(client: KubeClient, group: string): Promise<ResourceType> {
  const body = widgetCrd(group);
  await client.request("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", { method: "POST", body });
  const type = widgetType(group);
  for (let i = 0; ; i++) {
    try {
      await client.request(`/apis/${group}/v1/widgets`);
      return type;
    } catch (err) {
      if (i > 200) throw err;
      await sleep(100);
    }
  }
}

/** Whether the object at `path` exists (a 404 is false; any other error is thrown). */
export async function objectExists(client: Pick<KubeClient, "request">, path: string): Promise<boolean> {
  try {
    await client.request(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Creates a namespace. */
export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.request("/api/v1/namespaces", {
    method: "POST",
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
}

/** Creates a Widget. */
export async function createWidget(
  client: KubeClient,
  type: ResourceType,
  namespace: string,
  name: string,
  spec: Record<string, unknown> = { size: 1 },
): Promise<KubeObject> {
  return client.request<KubeObject>(`/apis/${type.group}/v1/namespaces/${namespace}/widgets`, {
    method: "POST",
    body: { apiVersion: `${type.group}/v1`, kind: "Widget", metadata: { name, namespace }, spec },
  });
}

/** One recorded reconcile call. */
export interface Call {
  key: string;
  at: number;
  manager: string;
  reconcileID: string;
}

/** A reconciler that records every call and delegates the outcome to `behave`. */
export class RecordingReconciler implements Reconciler {
  readonly calls: Call[] = [];
  readonly #manager: string;
  readonly #behave: (req: Request, ctx: ReconcileContext, n: number) => Promise<Result>;

  constructor(
    manager: string,
    behave: (req: Request, ctx: ReconcileContext, n: number) => Promise<Result> = () => Promise.resolve({}),
  ) {
    this.#manager = manager;
    this.#behave = behave;
  }

  reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const key = `${req.namespace}/${req.name}`;
    this.calls.push({ key, at: Date.now(), manager: this.#manager, reconcileID: ctx.reconcileID });
    return this.#behave(req, ctx, this.calls.filter((c) => c.key === key).length);
  }

  callsFor(key: string): Call[] {
    return this.calls.filter((c) => c.key === key);
  }
}

/** Log lines captured from a manager, parsed. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString("utf8").split("\n"))
      if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

/** A manager for tests: loopback probe/metrics server on a free port, logs captured, short shutdown deadline. */
export function testManager(
  kubeConfig: KubeConfig,
  options: Partial<ManagerOptions> & { namespace: string },
  logs: LogCapture = new LogCapture(),
): { manager: Manager; logs: LogCapture } {
  const manager = new Manager({
    kubeConfig,
    log: createLogger({ level: "debug", destination: logs }),
    healthAddr: "127.0.0.1:0",
    metricsAddr: "127.0.0.1:0",
    shutdownTimeoutMs: 5_000,
    metrics: createMetrics({ processMetrics: false }),
    ...options,
  });
  return { manager, logs };
}

/** Builds a controller for the Widget kind. */
export function widgetController(
  type: ResourceType,
  reconciler: Reconciler,
  options: Partial<ControllerOptions> = {},
): Controller {
  return new Controller({ name: "widget", type, reconciler, workers: 2, ...options });
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

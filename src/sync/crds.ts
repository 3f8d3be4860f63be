// CRDs applied by the same sync as their custom resources: the custom resources wait until the CRD is
// Established and its kind appears in discovery (Flux applies CRDs in a first stage and waits the same way).
// https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#create-a-customresourcedefinition
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../kube/rest-client.ts";
import type { KubeObject } from "../kube/resource.ts";
import type { Discovery } from "./discovery.ts";
import type { Manifest } from "./identity.ts";

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/** `group/Kind` of every custom resource kind the manifests define, mapped to the CRD's name. */
export function definedKinds(manifests: readonly Manifest[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of manifests) {
    const o = m.object;
    if (o.kind !== "CustomResourceDefinition" || !o.apiVersion.startsWith("apiextensions.k8s.io/")) continue;
    const spec = o.spec as { group?: unknown; names?: { kind?: unknown } } | undefined;
    if (typeof spec?.group === "string" && typeof spec.names?.kind === "string")
      out.set(`${spec.group}/${spec.names.kind}`, o.metadata.name ?? "");
  }
  return out;
}

function isEstablished(crd: KubeObject): boolean {
  const conditions =
    (crd.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === "Established" && c.status === "True");
}

/** Options of the waits. */
export interface WaitOptions {
  signal?: AbortSignal;
  /** Total wait (default 30 s). */
  timeoutMs?: number;
  pollMs?: number;
}

/** Waits until each named CRD is Established; returns the names that were not in time. */
export async function waitEstablished(
  client: KubeClient,
  names: readonly string[],
  options: WaitOptions = {},
): Promise<string[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let pending = [...names];
  while (pending.length > 0) {
    const still: string[] = [];
    for (const name of pending) {
      const crd = await client
        .request<KubeObject>(`${CRD_PATH}/${encodeURIComponent(name)}`, { signal: options.signal, timeoutMs: 10_000 })
        .catch(() => undefined);
      if (!crd || !isEstablished(crd)) still.push(name);
    }
    pending = still;
    if (pending.length === 0 || Date.now() >= deadline) break;
    await sleep(options.pollMs ?? 250, undefined, { signal: options.signal });
  }
  return pending;
}

/** Waits until discovery serves `kind` in `apiVersion` (it lags Established by a moment); false on timeout. */
export async function waitServed(
  discovery: Discovery,
  apiVersion: string,
  kind: string,
  options: WaitOptions = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await discovery.lookup(apiVersion, kind, options.signal)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(options.pollMs ?? 250, undefined, { signal: options.signal });
  }
}

// spec.dependsOn (Flux Kustomization's dependsOn): an OciSync applies only once every OciSync it names is Ready at
// its current generation (Ready=True and observedGeneration = metadata.generation, so a dependency whose spec just
// changed is waited for again). Until then the reconcile ends with DependencyNotReady and is looked at again every
// DEPENDENCY_RECHECK_MS, so a dependant follows soon after its dependency turns Ready. A chain leading back to the
// OciSync itself is DependencyCycle, naming the cycle. A tenant (namespace-scoped) sync may only name OciSyncs of
// its own namespace.
import type { Reason } from "../api/conditions.ts";
import type { DependencyRef, OciSync } from "../api/oci-sync.ts";
import type { Condition } from "../api/meta.ts";
import { isNotFound } from "../kube/api-error.ts";
import { getCondition } from "../kube/conditions.ts";
import { StallingError, WaitingError } from "../kube/errors.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { getObject } from "../kube/status.ts";
import { OCI_SYNC } from "../api/group-version.ts";

/** The reasons of this check, which are not the source's failures. */
export const DEPENDENCY_REASONS: ReadonlySet<Reason> = new Set<Reason>(["DependencyNotReady", "DependencyCycle"]);

/** How soon a waiting dependant looks again. */
export const DEPENDENCY_RECHECK_MS = 2_000;
/** How many OciSyncs the cycle search reads at most. */
const MAX_WALK = 64;

/** What the check reads. */
export interface DependencyCheck {
  client: KubeClient;
  sync: OciSync;
  /** The operator's namespace: OciSyncs there are root syncs. */
  operatorNamespace: string;
  signal: AbortSignal;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/** The dependency's key, refusing another namespace for a tenant sync. */
function refKey(sync: OciSync, ref: DependencyRef, operatorNamespace: string): string {
  const own = sync.metadata.namespace ?? "";
  const namespace = ref.namespace ?? own;
  if (namespace !== own && own !== operatorNamespace)
    throw new StallingError(
      "InvalidSpec",
      `spec.dependsOn names ${keyOf(namespace, ref.name)}: a namespace-scoped OciSync may only depend on OciSyncs of its own namespace (${own})`,
    );
  return keyOf(namespace, ref.name);
}

async function read(check: DependencyCheck, key: string): Promise<OciSync | undefined> {
  const [namespace = "", name = ""] = key.split("/");
  try {
    return (await getObject(check.client, OCI_SYNC, { namespace, name }, check.signal)) as unknown as OciSync;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The keys `dep` depends on (a missing dependency has none). */
function edgesOf(dep: OciSync | undefined, key: string): string[] {
  const namespace = key.split("/")[0] ?? "";
  return (dep?.spec.dependsOn ?? []).map((r) => keyOf(r.namespace ?? namespace, r.name));
}

/** Follows dependsOn from the sync; a path back to it is a DependencyCycle. */
async function findCycle(check: DependencyCheck, start: string): Promise<string[] | undefined> {
  const seen = new Set<string>();
  const first = (check.sync.spec.dependsOn ?? []).map((r) => refKey(check.sync, r, check.operatorNamespace));
  const stack: string[][] = first.map((k) => [start, k]);
  while (stack.length > 0 && seen.size < MAX_WALK) {
    const path = stack.pop() ?? [];
    const key = path[path.length - 1] ?? "";
    if (key === start) return path;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const next of edgesOf(await read(check, key), key)) stack.push([...path, next]);
  }
  return undefined;
}

/** True when the dependency's status is of its current generation (status and Ready condition). */
function observedCurrent(dep: OciSync, ready: Condition | undefined): boolean {
  const generation = dep.metadata.generation;
  return dep.status?.observedGeneration === generation && (!ready || ready.observedGeneration === generation);
}

/** Why a dependency is not ready yet, or undefined when it is. */
function notReady(dep: OciSync | undefined): string | undefined {
  if (!dep) return "not found";
  const ready = getCondition(dep.status?.conditions, "Ready");
  if (!observedCurrent(dep, ready)) return `generation ${dep.metadata.generation ?? 0} not reconciled yet`;
  if (!ready) return "no Ready condition yet";
  return ready.status === "True" ? undefined : `Ready=${ready.status} ${ready.reason}`;
}

/** Throws DependencyCycle, InvalidSpec or DependencyNotReady unless every dependency is Ready. */
export async function checkDependencies(check: DependencyCheck): Promise<void> {
  const refs = check.sync.spec.dependsOn ?? [];
  if (refs.length === 0) return;
  const self = keyOf(check.sync.metadata.namespace ?? "", check.sync.metadata.name);
  const cycle = await findCycle(check, self);
  if (cycle) throw new StallingError("DependencyCycle", `spec.dependsOn forms a cycle: ${cycle.join(" -> ")}`);
  for (const ref of refs) {
    const key = refKey(check.sync, ref, check.operatorNamespace);
    const why = notReady(await read(check, key));
    if (why !== undefined)
      throw new WaitingError("DependencyNotReady", `waiting for OciSync ${key}: ${why}`, DEPENDENCY_RECHECK_MS);
  }
}

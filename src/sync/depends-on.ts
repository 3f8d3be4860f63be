// Config Sync's `config.kubernetes.io/depends-on` between the objects of one source
// (https://cloud.google.com/kubernetes-engine/enterprise/config-sync/docs/how-to/declare-resource-dependency): its
// value names other objects as `group/namespaces/<namespace>/<kind>/<name>` or `group/<kind>/<name>` (cluster-scoped;
// the core group is the empty string), comma-separated. This file holds the graph only: parsing, Config Sync's
// rule that a dependency lives in the same source, cycles (refused by name), and the apply groups: an object lands
// in the group after the last group holding one of its dependencies, the way Config Sync splits its apply groups.
// A namespaced object also depends on its Namespace when the source declares it (Config Sync's implicit edge).
import { SyncError } from "./errors.ts";
import { describeIdentity, identityKey, type ObjectIdentity } from "./identity.ts";

/** The annotation naming an object's dependencies. */
export const ANNOTATION_DEPENDS_ON = "config.kubernetes.io/depends-on";

/** Parses one annotation value; throws a SyncError (InvalidDependsOn) saying what is wrong. */
export function parseDependsOn(value: string, of: ObjectIdentity): ObjectIdentity[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((ref) => parseReference(ref, of));
}

const NAMESPACED_REF = /^([^/]*)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/;
const CLUSTER_REF = /^([^/]*)\/([^/]+)\/([^/]+)$/;

/** `group/namespaces/<namespace>/<kind>/<name>` or `group/<kind>/<name>`. */
function parseReference(ref: string, of: ObjectIdentity): ObjectIdentity {
  const namespaced = NAMESPACED_REF.exec(ref)?.slice(1);
  if (namespaced) {
    const [group, namespace, kind, name] = namespaced as [string, string, string, string];
    return { group, namespace, kind, name };
  }
  const cluster = CLUSTER_REF.exec(ref)?.slice(1);
  if (cluster) {
    const [group, kind, name] = cluster as [string, string, string];
    return { group, namespace: "", kind, name };
  }
  throw new SyncError(
    "InvalidDependsOn",
    `${describeIdentity(of)}: ${ANNOTATION_DEPENDS_ON} entry "${ref}" is not group/namespaces/<namespace>/<kind>/<name> or group/<kind>/<name> (empty group for the core group, e.g. /namespaces/default/ConfigMap/settings)`,
    [of],
  );
}

/** One object the planner orders. */
export interface PlanItem {
  identity: ObjectIdentity;
  /** The object's annotations as the source declares them. */
  annotations?: Record<string, string>;
}

/** The apply groups, and the objects refused before any is applied. */
export interface DependencyPlan<T extends PlanItem> {
  /** Apply groups in order; every dependency of an object sits in an earlier group. */
  groups: T[][];
  /** Objects not to apply, with the error saying why (bad annotation, dependency outside the source, cycle). */
  refused: { item: T; error: SyncError }[];
  /** Each object's explicit (annotated) dependencies by identity key, for the wait before its group. */
  dependencies: Map<string, ObjectIdentity[]>;
}

/** True when any object carries the annotation (without one, the stage order alone applies). */
export function hasDependsOn(items: readonly PlanItem[]): boolean {
  return items.some((i) => (i.annotations?.[ANNOTATION_DEPENDS_ON] ?? "").trim() !== "");
}

interface Graph<T> {
  byKey: Map<string, T>;
  /** Explicit and implicit edges: key → keys it depends on. */
  edges: Map<string, string[]>;
}

/** Objects of the source handled before the plan (CRDs, objects refused earlier): their error, or undefined if applied. */
export type EarlierOutcomes = Pick<ReadonlyMap<string, SyncError | undefined>, "has" | "get">;

/** Reads every annotation; objects with a bad one, or a dependency outside the source or refused earlier, are refused. */
function buildGraph<T extends PlanItem>(
  items: readonly T[],
  earlier: EarlierOutcomes,
  plan: DependencyPlan<T>,
): Graph<T> {
  const byKey = new Map(items.map((i) => [identityKey(i.identity), i]));
  const edges = new Map<string, string[]>();
  for (const item of items) {
    const key = identityKey(item.identity);
    let explicit: ObjectIdentity[];
    try {
      explicit = parseDependsOn(item.annotations?.[ANNOTATION_DEPENDS_ON] ?? "", item.identity);
    } catch (err) {
      plan.refused.push({ item, error: err as SyncError });
      continue;
    }
    const error = earlierRefusal(item.identity, explicit, byKey, earlier);
    if (error) {
      plan.refused.push({ item, error });
      continue;
    }
    plan.dependencies.set(key, explicit);
    const keys = explicit.map(identityKey).filter((k) => byKey.has(k));
    const namespace = { group: "", kind: "Namespace", namespace: "", name: item.identity.namespace };
    if (item.identity.namespace && byKey.has(identityKey(namespace))) keys.push(identityKey(namespace));
    edges.set(key, [...new Set(keys)]);
  }
  return { byKey, edges };
}

/** Why the dependencies outside the plan keep `of` from being applied, or undefined. */
function earlierRefusal(
  of: ObjectIdentity,
  deps: readonly ObjectIdentity[],
  planned: ReadonlyMap<string, unknown>,
  earlier: EarlierOutcomes,
): SyncError | undefined {
  const missing = deps.filter((d) => !planned.has(identityKey(d)) && !earlier.has(identityKey(d)));
  if (missing.length > 0) return outsideSource(of, missing);
  const failed = deps.find((d) => !planned.has(identityKey(d)) && earlier.get(identityKey(d)) !== undefined);
  if (!failed) return undefined;
  return new SyncError(
    "DependencyNotReconciled",
    `${describeIdentity(of)} is not applied: it depends on ${describeIdentity(failed)}, which failed (${earlier.get(identityKey(failed))?.code})`,
    [of, failed],
  );
}

function outsideSource(of: ObjectIdentity, missing: readonly ObjectIdentity[]): SyncError {
  return new SyncError(
    "InvalidDependsOn",
    `${describeIdentity(of)} depends on ${missing.map(describeIdentity).join(", ")}, which this source does not declare: a dependency must be in the same source (Config Sync's rule); the object is not applied`,
    [of, ...missing],
  );
}

/** Orders `items` into apply groups by their depends-on annotations. */
export function planDependencies<T extends PlanItem>(
  items: readonly T[],
  earlier: EarlierOutcomes = new Map(),
): DependencyPlan<T> {
  const plan: DependencyPlan<T> = { groups: [], refused: [], dependencies: new Map() };
  const graph = buildGraph(items, earlier, plan);
  const level = new Map<string, number>();
  const blocked = new Map<string, SyncError>();
  for (const { item, error } of plan.refused) blocked.set(identityKey(item.identity), error);
  for (const component of findCycles(graph.edges)) {
    const path = cyclePath(component, graph.edges);
    const error = cycleError(path.map((k) => graph.byKey.get(k)?.identity as ObjectIdentity));
    for (const key of component) blocked.set(key, error);
  }
  const visit = (key: string): number | SyncError => {
    const known = level.get(key) ?? blocked.get(key);
    if (known !== undefined) return known;
    let mine = 0;
    for (const dep of graph.edges.get(key) ?? []) {
      const d = visit(dep);
      if (d instanceof SyncError) return blockedBy(key, dep, graph, blocked);
      mine = Math.max(mine, d + 1);
    }
    level.set(key, mine);
    return mine;
  };
  for (const item of items) {
    const key = identityKey(item.identity);
    const l = visit(key);
    if (l instanceof SyncError) {
      if (!plan.refused.some((r) => r.item === item)) plan.refused.push({ item, error: l });
    } else {
      while (plan.groups.length <= l) plan.groups.push([]);
      plan.groups[l]?.push(item);
    }
  }
  return plan;
}

/** Records and returns why `key` cannot be applied: its dependency `dep` is refused. */
function blockedBy<T extends PlanItem>(
  key: string,
  dep: string,
  graph: Graph<T>,
  blocked: Map<string, SyncError>,
): SyncError {
  const of = graph.byKey.get(key)?.identity as ObjectIdentity;
  const on = graph.byKey.get(dep)?.identity as ObjectIdentity;
  const error = new SyncError(
    "DependencyNotReconciled",
    `${describeIdentity(of)} is not applied: it depends on ${describeIdentity(on)}, which is not applied (${blocked.get(dep)?.code ?? "refused"})`,
    [of, on],
  );
  blocked.set(key, error);
  return error;
}

/** One cycle through the first node of a strongly connected component, as a path of keys (breadth-first). */
function cyclePath(component: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[] {
  const start = component[0] as string;
  const inside = new Set(component);
  const parent = new Map<string, string>();
  const queue = [start];
  const back = (v: string): string[] => {
    const path = [v];
    while (path[0] !== start) path.unshift(parent.get(path[0] as string) as string);
    return path;
  };
  while (queue.length > 0) {
    const v = queue.shift() as string;
    const next = (edges.get(v) ?? []).filter((w) => w === start || (inside.has(w) && !parent.has(w)));
    if (next.includes(start)) return back(v);
    for (const w of next) {
      parent.set(w, v);
      queue.push(w);
    }
  }
  return [...component];
}

function cycleError(cycle: readonly ObjectIdentity[]): SyncError {
  const names = [...cycle, cycle[0] as ObjectIdentity].map(describeIdentity).join(" -> ");
  return new SyncError(
    "DependsOnCycle",
    `${ANNOTATION_DEPENDS_ON} forms a cycle: ${names}; none of these objects is applied until the cycle is broken`,
    [...cycle],
  );
}

/** The cycles of a graph: its strongly connected components with more than one node or a self-edge (Tarjan). */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) popComponent(v);
  };
  const popComponent = (v: string): void => {
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
      onStack.delete(w);
      component.push(w);
    }
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) out.push(component.reverse());
  };
  for (const v of edges.keys()) if (!index.has(v)) connect(v);
  return out;
}

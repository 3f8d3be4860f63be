// What the rest of a revision stands on is validated and applied before the rest is validated: the set's CRDs (then
// waited for until Established), then its Namespaces. The rest cannot be judged without them: a custom resource of
// a new CRD is an unknown kind, and a dry-run into a Namespace that does not exist yet is answered 404 by the API
// server's NamespaceLifecycle admission after a 50 ms wait and a lookup of its own, before any admission webhook or
// policy has looked at the object (measured: 2,000 such dry-runs cost 2,000 extra GETs and most of a first sync).
// A Namespace carrying a depends-on annotation waits for its turn with the rest (depends-on order).
import { splitApiVersion, type Manifest } from "./identity.ts";
import { ANNOTATION_DEPENDS_ON } from "./depends-on.ts";
import { waitEstablished } from "./crds.ts";
import { indexLive } from "./live-index.ts";
import { resolveObjects } from "./scope.ts";
import { announce, applyStage, dropDuplicates, partition, validated, type Run } from "./sync-run.ts";

/** A CustomResourceDefinition of the set. */
export const isCrd = (m: Manifest): boolean =>
  m.object.kind === "CustomResourceDefinition" && m.object.apiVersion.startsWith("apiextensions.k8s.io/");

/** A core Namespace of the set that depends on nothing. */
export function isEarlyNamespace(m: Manifest): boolean {
  const dependsOn = m.object.metadata.annotations?.[ANNOTATION_DEPENDS_ON] ?? "";
  return m.object.kind === "Namespace" && splitApiVersion(m.object.apiVersion).group === "" && !dependsOn.trim();
}

/** Validates and applies `manifests` as one stage: the names applied, undefined when the dry-run refused some. */
async function applyEarly(run: Run, manifests: readonly Manifest[]): Promise<string[] | undefined> {
  if (manifests.length === 0) return [];
  const { scope, signal } = run.options;
  const ok = dropDuplicates(
    run,
    partition(run, manifests, await resolveObjects([...manifests], scope, run.discovery, signal)),
  );
  if (!(await validated(run, ok))) return undefined;
  await announce(run, ok);
  const live = await indexLive(run.client, ok, signal);
  return (await applyStage(run, ok, live)).filter((r) => r.action !== "failed").map((r) => r.identity.name);
}

/**
 * Applies the set's CRDs (waiting until Established) and then its early Namespaces; returns the manifests left for
 * the rest of the run (run.refused is set when a dry-run refused some: nothing more may be applied).
 */
export async function applyFoundations(run: Run, manifests: readonly Manifest[]): Promise<Manifest[]> {
  const applied = await applyEarly(run, manifests.filter(isCrd));
  if (applied === undefined) return [];
  const late = new Set(
    await waitEstablished(run.client, applied, { signal: run.options.signal, timeoutMs: run.options.crdTimeoutMs }),
  );
  for (const name of applied) if (!late.has(name)) run.established.add(name);
  const namespaces = manifests.filter(isEarlyNamespace);
  if ((await applyEarly(run, namespaces)) === undefined) return [];
  return manifests.filter((m) => !isCrd(m) && !isEarlyNamespace(m));
}

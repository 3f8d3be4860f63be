// Watching one named object of the cluster (a site value: the DNS suffix ConfigMap, the HarborCluster, the CA
// bundle) with an informer limited to its name, shared by site discovery and the site's trust.
import type { Logger } from "pino";
import { Informer } from "../kube/informer.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import type { KubeObject, ResourceType } from "../kube/resource.ts";

/** Parses `namespace/name`; throws on another shape. */
export function configMapRef(text: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = text.split("/");
  if (!namespace || !name || rest.length > 0) throw new Error(`an object is named namespace/name, got "${text}"`);
  return { namespace, name };
}

/** What watching one named object needs. */
export interface ObjectWatch {
  client: KubeClient;
  type: ResourceType;
  /** `namespace/name` of the watched object. */
  object: string;
  log: Logger;
  /** How long start waits for the first list (default 10 s). */
  syncTimeoutMs?: number;
  /** Gets the object on every change (undefined once deleted or while it is missing). */
  onChange: (obj: KubeObject | undefined) => void;
}

/**
 * Watches one named object (a field selector on its name, so RBAC may be limited to it) and waits up to
 * syncTimeoutMs for the first list; stop the returned informer at shutdown.
 */
export async function watchObject(w: ObjectWatch): Promise<Informer> {
  const { namespace, name } = configMapRef(w.object);
  const informer = new Informer(w.client, w.type, {
    namespace,
    fieldSelector: `metadata.name=${name}`,
    log: w.log,
  });
  informer.on((obj, event) => {
    if (obj.metadata.name === name) w.onChange(event === "delete" ? undefined : obj);
  });
  informer.start();
  try {
    await informer.waitForSync(AbortSignal.timeout(w.syncTimeoutMs ?? 10_000));
  } catch {
    w.log.warn(
      { [w.type.kind]: w.object },
      `cannot list ${w.type.plural} there yet (RBAC: get/list/watch); starting without it, still trying`,
    );
  }
  return informer;
}

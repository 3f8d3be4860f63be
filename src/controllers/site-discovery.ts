// Site discovery: values a GDC site already publishes, watched so a change reaches the next reconcile through
// SiteDefaults without a restart, and logged with their origin on every change.
// - The DNS suffix: ConfigMap gpc-system/dnssuffix, key dnsSuffix (the runbook reads it by hand with kubectl).
// - Harbor's URL: HarborCluster harbor-system/harbor (goharbor.io), .spec.externalURL, when that kind is served.
// One informer per value watches the one object (site-watch.ts). A missing object (or namespace) just leaves the
// defaults unset. site-start.ts starts the watches the settings ask for.
import type { Logger } from "pino";
import { missingResources } from "../kube/discovery.ts";
import type { Informer } from "../kube/informer.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { CONFIG_MAPS, type KubeObject, type ResourceType } from "../kube/resource.ts";
import type { SiteDefaults } from "./defaults.ts";
import { watchObject } from "./site-watch.ts";

export { configMapRef } from "./site-watch.ts";

/** The ConfigMap GDC publishes its DNS suffix in. */
export const GDC_DNS_SUFFIX_CONFIGMAP = "gpc-system/dnssuffix";
/** The key of the suffix in that ConfigMap. */
export const DNS_SUFFIX_KEY = "dnsSuffix";
/** The HarborCluster of a GDC site. */
export const GDC_HARBOR_CLUSTER = "harbor-system/harbor";
/** Harbor operator's HarborCluster kind. */
export const HARBOR_CLUSTERS: ResourceType = {
  group: "goharbor.io",
  version: "v1beta1",
  plural: "harborclusters",
  kind: "HarborCluster",
  namespaced: true,
};

/** `value[key]` when value is an object. */
function field(value: unknown, key: string): unknown {
  return value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
}

/** What a site watch needs. */
export interface SiteWatch {
  client: KubeClient;
  /** How status and logs name where the value came from; default `from <Kind> <namespace/name>`. */
  origin?: string;
  /** `namespace/name` of the watched object. */
  object: string;
  defaults: SiteDefaults;
  log: Logger;
  /** How long start waits for the first list (default 10 s). */
  syncTimeoutMs?: number;
}

/** Watches one object; `apply` gets it (undefined once deleted) and says whether the defaults changed. */
function watchOne(
  watch: SiteWatch,
  type: ResourceType,
  apply: (obj: KubeObject | undefined, origin: string) => boolean,
): Promise<Informer> {
  const origin = watch.origin ?? `from ${type.kind} ${watch.object}`;
  return watchObject({
    ...watch,
    type,
    onChange: (obj) => {
      if (!apply(obj, origin)) return;
      watch.log.info({ [type.kind]: watch.object, defaults: watch.defaults.describe() }, "site defaults changed");
    },
  });
}

/** Starts watching the suffix ConfigMap into `defaults`; stop the returned informer at shutdown. */
export function watchDnsSuffix(watch: SiteWatch): Promise<Informer> {
  return watchOne(watch, CONFIG_MAPS, (obj, origin) => {
    const suffix = field(obj?.data, DNS_SUFFIX_KEY);
    return watch.defaults.discoverDnsSuffix(typeof suffix === "string" ? suffix : undefined, origin);
  });
}

/** Starts watching the HarborCluster's externalURL into `defaults`; undefined when the kind is not served. */
export async function watchHarborCluster(watch: SiteWatch): Promise<Informer | undefined> {
  if ((await missingResources(watch.client, [HARBOR_CLUSTERS])).length > 0) {
    watch.log.info(
      { kind: `${HARBOR_CLUSTERS.plural}.${HARBOR_CLUSTERS.group}` },
      "HarborCluster is not served here: no Harbor URL discovery",
    );
    return undefined;
  }
  return watchOne(watch, HARBOR_CLUSTERS, (obj, origin) => {
    const url = field(obj?.spec, "externalURL");
    return watch.defaults.discoverHarborUrl(typeof url === "string" ? url : undefined, origin);
  });
}

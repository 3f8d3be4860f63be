// Starts the site watches the operator's settings ask for, before the controllers: the DNS suffix ConfigMap, the
// HarborCluster (in the operator's cluster, or in an admin cluster named by a kubeconfig Secret) and the site's CA
// bundle. Each one is skipped when explicit settings decide its value anyway.
import type { Logger } from "pino";
import type { KubeClient } from "../kube/rest-client.ts";
import type { SiteDefaults } from "./defaults.ts";
import { adminHarborOrigin, watchAdminHarborCluster, type SecretKeySource } from "./site-admin-cluster.ts";
import { watchDnsSuffix, watchHarborCluster } from "./site-discovery.ts";
import { caBundleOrigin, watchCaBundle, type CaBundleSource } from "./site-trust.ts";

/** Which site values to discover (undefined: that one is off). */
export interface SiteDiscovery {
  client: KubeClient;
  defaults: SiteDefaults;
  log: Logger;
  /** `namespace/name` of the DNS suffix ConfigMap. */
  dnsSuffixConfigMap?: string;
  /** `namespace/name` of the HarborCluster. */
  harborCluster?: string;
  /** The Secret holding the admin cluster's kubeconfig: the HarborCluster is read there instead. */
  adminKubeconfig?: SecretKeySource;
  /** The operator-wide CA bundle to watch into the process-wide trust (net/trust.ts). */
  caBundle?: CaBundleSource;
}

type Stop = () => Promise<void>;

/** Starts the HarborCluster watch (own or admin cluster); its stop and how the start log names it, if any. */
async function startHarbor(d: SiteDiscovery, harborCluster: string): Promise<{ stop: Stop; watched: string }[]> {
  const base = { client: d.client, defaults: d.defaults, log: d.log };
  if (d.adminKubeconfig) {
    const admin = await watchAdminHarborCluster({ ...base, secret: d.adminKubeconfig, harborCluster });
    return [{ stop: admin.stop, watched: adminHarborOrigin(harborCluster, d.adminKubeconfig).replace(/^from /, "") }];
  }
  const harbor = await watchHarborCluster({ ...base, object: harborCluster });
  return harbor ? [{ stop: () => harbor.stop(), watched: `HarborCluster ${harborCluster}` }] : [];
}

/**
 * Starts the discovery watches the explicit settings leave a say to; resolves with what is watched (for the start
 * log) and a stop function.
 */
export async function startSiteDiscovery(d: SiteDiscovery): Promise<{ watched: string[]; stop: Stop }> {
  const stops: Stop[] = [];
  const watched: string[] = [];
  const stop = async (): Promise<void> => void (await Promise.all(stops.map((s) => s())));
  try {
    if (d.dnsSuffixConfigMap && !d.defaults.explicitlySet) {
      const suffix = await watchDnsSuffix({
        client: d.client,
        defaults: d.defaults,
        log: d.log,
        object: d.dnsSuffixConfigMap,
      });
      stops.push(() => suffix.stop());
      watched.push(`ConfigMap ${d.dnsSuffixConfigMap}`);
    }
    if (d.harborCluster && !d.defaults.registryExplicitlySet) {
      for (const h of await startHarbor(d, d.harborCluster)) {
        stops.push(h.stop);
        watched.push(h.watched);
      }
    }
    if (d.caBundle) {
      const bundle = await watchCaBundle({ client: d.client, source: d.caBundle, log: d.log });
      stops.push(() => bundle.stop());
      watched.push(`CA bundle ${caBundleOrigin(d.caBundle)}`);
    }
  } catch (err) {
    // A watch left retrying would keep a failed start's process alive, neither serving nor exiting.
    await stop();
    throw err;
  }
  return { watched, stop };
}

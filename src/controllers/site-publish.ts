// The site profile the operator runs with, published for people: ConfigMap airlift-site in the operator's namespace
// (key site.json) holds the profile, the DNS suffix, the default registry (Harbor) and object storage, each with its
// origin, the trust every connection starts from and the Secret source namespaces. `airlift status` shows it, and the
// CLI can take the site's registry from it. Checked every 2 s and written only when it changed (server-side apply;
// every replica writes the same content), so a discovered change shows within seconds.
import type { Logger } from "pino";
import { applyConfigMap } from "../kube/config-maps.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { siteTrust } from "../net/trust.ts";
import type { DefaultWithOrigin, SiteDefaults } from "./defaults.ts";

/** The ConfigMap the operator publishes its site profile in, in its own namespace. */
export const SITE_PROFILE_CONFIGMAP = "airlift-site";
/** Its key. */
export const SITE_PROFILE_KEY = "site.json";

/** The site profile as published. */
export interface PublishedSite {
  profile: string;
  dnsSuffix?: DefaultWithOrigin;
  /** The default registry (the site's Harbor). */
  registry?: DefaultWithOrigin;
  s3Endpoint?: DefaultWithOrigin;
  /** What every connection trusts before a resource's own CA, e.g. `system roots + ConfigMap trust/org-ca (...)`. */
  trust: string;
  secretSourceNamespaces: string[];
  /** The site objects the operator watches. */
  watched: string[];
}

/** What publishing needs. */
export interface SitePublisher {
  client: KubeClient;
  /** The operator's namespace. */
  namespace: string;
  profile: string;
  defaults: SiteDefaults;
  secretSourceNamespaces: string[];
  watched: string[];
  log: Logger;
  intervalMs?: number;
}

/** The profile as it stands now. */
export function currentSite(p: SitePublisher): PublishedSite {
  return {
    profile: p.profile,
    dnsSuffix: p.defaults.dnsSuffixWithOrigin,
    registry: p.defaults.registryWithOrigin,
    s3Endpoint: p.defaults.s3EndpointWithOrigin,
    trust: siteTrust.describe(),
    secretSourceNamespaces: p.secretSourceNamespaces,
    watched: p.watched,
  };
}

/** Publishes now and whenever the profile changes; stop it at shutdown. */
export function publishSite(p: SitePublisher): { stop: () => Promise<void> } {
  let last = "";
  let running: Promise<void> = Promise.resolve();
  let warned = false;
  const publish = async (): Promise<void> => {
    const text = JSON.stringify(currentSite(p), null, 2);
    if (text === last) return;
    try {
      await applyConfigMap(
        p.client,
        {
          namespace: p.namespace,
          name: SITE_PROFILE_CONFIGMAP,
          labels: { "app.kubernetes.io/part-of": "airlift" },
          data: { [SITE_PROFILE_KEY]: text },
        },
        { fieldManager: "airlift-site" },
      );
      last = text;
      warned = false;
    } catch (err) {
      if (!warned) p.log.warn({ err: (err as Error).message }, "cannot publish the site profile; retrying");
      warned = true;
    }
  };
  const tick = (): void => void (running = running.then(publish));
  tick();
  const timer = setInterval(tick, p.intervalMs ?? 2_000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

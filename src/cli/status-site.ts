// The site profile in `airlift status`: what the operator publishes in ConfigMap airlift-site of its namespace
// (controllers/site-publish.ts) — the DNS suffix, the default registry (the site's Harbor) and object storage with
// their origins, the trust every connection starts from — read with the caller's kubeconfig. Absent (no operator
// there, or no right to read it): the report has no site. Also the CLI's way to the site's registry (--site-registry).
import { SITE_PROFILE_CONFIGMAP, SITE_PROFILE_KEY, type PublishedSite } from "../controllers/site-publish.ts";
import { isStatus } from "../kube/api-error.ts";
import type { KubeClient } from "../kube/rest-client.ts";

/** The published site profile in `namespace`, or undefined when there is none the caller may read. */
export async function readSite(
  client: KubeClient,
  namespace: string,
  timeoutMs: number,
): Promise<PublishedSite | undefined> {
  try {
    const cm = await client.request<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${namespace}/configmaps/${SITE_PROFILE_CONFIGMAP}`,
      { timeoutMs },
    );
    const text = cm.data?.[SITE_PROFILE_KEY];
    return text ? (JSON.parse(text) as PublishedSite) : undefined;
  } catch (err) {
    if (isStatus(err, 403, 404) || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** The site block of the text report. */
export function formatSite(site: PublishedSite, namespace: string): string {
  const row = (what: string, v: { value: string; origin: string } | undefined): string =>
    `   ${what.padEnd(16)}${v ? `${v.value}   ${v.origin}` : "(none)"}`;
  return [
    `Site (operator in ${namespace}, profile ${site.profile}):`,
    row("DNS suffix", site.dnsSuffix),
    row("Registry", site.registry),
    row("Object storage", site.s3Endpoint),
    `   ${"Trust".padEnd(16)}${site.trust}`,
    `   ${"Secret sources".padEnd(16)}${site.secretSourceNamespaces.join(", ") || "(none)"}`,
  ].join("\n");
}

// Site profiles: the defaults a known kind of site brings, so its admin does not wire them by hand. `gdc` (Google
// Distributed Cloud air-gapped) keeps bucket keys in object-storage-access-keys (object-storage-key-std-user-<ID>)
// and Harbor's admin password in harbor-system (harbor-admin): both are Secret source namespaces. A source namespace
// only opens the operator's half of a grant; each Secret still names who may use it (kube/secrets.ts).

/** What a site profile sets by default. */
export interface SiteProfile {
  /** Namespaces whose Secrets may be granted to other namespaces by their allowed-namespaces annotation. */
  secretSourceNamespaces: readonly string[];
}

/** The known site profiles by name. */
export const SITE_PROFILES: Readonly<Record<string, SiteProfile>> = {
  gdc: { secretSourceNamespaces: ["object-storage-access-keys", "harbor-system"] },
  none: { secretSourceNamespaces: [] },
};

/** Splits a comma-separated namespace list, dropping blanks. */
export function namespaceList(value: string): string[] {
  return value
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
}

/** The Secret source namespaces: an explicit list (even an empty one) wins over the profile's. */
export function secretSourceNamespaces(explicit: string | undefined, profile: string | undefined): string[] {
  if (explicit !== undefined) return namespaceList(explicit);
  return [...(SITE_PROFILES[profile ?? "none"]?.secretSourceNamespaces ?? [])];
}

// The site's one trust, fed from the cluster: an operator-wide CA bundle in a ConfigMap (trust-manager's Bundle
// writes one: concatenated PEM under the key its target names) or a Secret, watched, and set as the process-wide
// bundle every registry, Harbor and S3 client adds to the system roots (net/trust.ts). A change reaches the next
// transfer without a restart; the operator logs the bundle's origin when it is first read and on every change. A
// missing object or key leaves the system roots (and a resource's own CA) alone, with a warning.
import type { Logger } from "pino";
import type { Informer } from "../kube/informer.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { CONFIG_MAPS, SECRETS, type KubeObject } from "../kube/resource.ts";
import { parseCertificates, siteTrust } from "../net/trust.ts";
import { configMapRef, watchObject } from "./site-watch.ts";

/** The key a bundle is read from when the reference names none (cert-manager's and kubectl's CA key). */
export const DEFAULT_CA_BUNDLE_KEY = "ca.crt";

/** Where the operator-wide CA bundle lives. */
export interface CaBundleSource {
  kind: "ConfigMap" | "Secret";
  namespace: string;
  name: string;
  key: string;
}

/** `ConfigMap trust/org-ca (key ca.crt)`: how logs and messages name a source. */
export function caBundleOrigin(s: CaBundleSource): string {
  return `${s.kind} ${s.namespace}/${s.name} (key ${s.key})`;
}

/**
 * Parses `configmap:[NAMESPACE/]NAME[#KEY]` or `secret:[NAMESPACE/]NAME[#KEY]` (namespace default `namespace`, key
 * default ca.crt); throws with the expected shape on anything else.
 */
export function parseCaBundleSource(text: string, namespace: string): CaBundleSource {
  const shape = `expected configmap:[NAMESPACE/]NAME[#KEY] or secret:[NAMESPACE/]NAME[#KEY], got "${text}"`;
  const m = /^(configmap|secret):([^#]+?)(?:#(.+))?$/i.exec(text.trim());
  if (!m?.[1] || !m[2]) throw new Error(shape);
  const ref = m[2].includes("/") ? configMapRef(m[2]) : { namespace, name: m[2] };
  const key = m[3] ?? DEFAULT_CA_BUNDLE_KEY;
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new Error(`${shape}: "${key}" is not a ConfigMap or Secret key`);
  return { kind: m[1].toLowerCase() === "secret" ? "Secret" : "ConfigMap", ...ref, key };
}

/** The text under `key`: a Secret's data is base64; a ConfigMap's data is text, its binaryData base64. */
function bundleText(obj: KubeObject, source: CaBundleSource): string | undefined {
  const record = (v: unknown): Record<string, unknown> =>
    v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  const text = source.kind === "ConfigMap" ? record(obj.data)[source.key] : undefined;
  if (typeof text === "string") return text;
  const encoded = record(source.kind === "Secret" ? obj.data : obj.binaryData)[source.key];
  return typeof encoded === "string" ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

/** Sets the process-wide bundle from the object (undefined: gone); logs what changed. */
function apply(obj: KubeObject | undefined, source: CaBundleSource, log: Logger): void {
  const origin = caBundleOrigin(source);
  const text = obj && bundleText(obj, source);
  const parsed = parseCertificates(text ?? "");
  const changed = siteTrust.set({ ...parsed, origin });
  const fields = { caBundle: origin, certificates: parsed.certificates, trust: siteTrust.describe() };
  if (!obj) log.warn(fields, "site CA bundle object not found: trusting the system roots only, still watching");
  else if (text === undefined) log.warn(fields, `site CA bundle has no key "${source.key}": system roots only`);
  else if (parsed.certificates === 0) log.warn(fields, "site CA bundle holds no PEM certificate: system roots only");
  else if (changed) log.info({ ...fields, invalid: parsed.invalid || undefined }, "site CA bundle set");
}

/** Starts watching the bundle into the process-wide trust; stop the returned informer at shutdown. */
export async function watchCaBundle(w: {
  client: KubeClient;
  source: CaBundleSource;
  log: Logger;
  syncTimeoutMs?: number;
}): Promise<Informer> {
  const informer = await watchObject({
    client: w.client,
    type: w.source.kind === "Secret" ? SECRETS : CONFIG_MAPS,
    object: `${w.source.namespace}/${w.source.name}`,
    log: w.log,
    syncTimeoutMs: w.syncTimeoutMs,
    onChange: (obj) => apply(obj, w.source, w.log),
  });
  // An object missing at start is worth its warning once (the informer only reports objects it has).
  if (informer.hasSynced() && informer.list().length === 0) apply(undefined, w.source, w.log);
  return informer;
}

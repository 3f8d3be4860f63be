// Harbor's URL from a GDC admin cluster: the runbook reads HarborCluster harbor-system/harbor with
// `kubectl --kubeconfig ${ADMIN_KUBECONFIG}`, so the operator takes that kubeconfig from a Secret of its own cluster
// (self-contained only: kube/kubeconfig.ts refuses plugins and local files) and watches the HarborCluster there.
// The Secret is watched too: a rotated kubeconfig moves the watch to the new one; a deleted or unusable one clears
// the discovered URL (the suffix's harbor.<suffix> applies again). An admin cluster that cannot be reached is tried
// again every 30 s.
import type { Logger } from "pino";
import type { Informer } from "../kube/informer.ts";
import { kubeConfigFromText } from "../kube/kubeconfig.ts";
import { KubeClient } from "../kube/rest-client.ts";
import { SECRETS, type KubeObject } from "../kube/resource.ts";
import type { SiteDefaults } from "./defaults.ts";
import { watchHarborCluster } from "./site-discovery.ts";
import { configMapRef, watchObject } from "./site-watch.ts";

/** The key a kubeconfig Secret holds it under by default (Cluster API's `<cluster>-kubeconfig` Secrets use it). */
export const DEFAULT_KUBECONFIG_KEY = "value";
const RETRY_MS = 30_000;

/** A key of a Secret. */
export interface SecretKeySource {
  namespace: string;
  name: string;
  key: string;
}

/** Parses `[namespace/]name[#key]` (namespace default `namespace`, key default `value`); throws on another shape. */
export function parseSecretKeySource(text: string, namespace: string): SecretKeySource {
  const [ref = "", key = DEFAULT_KUBECONFIG_KEY, ...rest] = text.trim().split("#");
  if (!ref || rest.length > 0 || !/^[-._a-zA-Z0-9]+$/.test(key))
    throw new Error(`expected [NAMESPACE/]NAME[#KEY] of a Secret, got "${text}"`);
  return { ...(ref.includes("/") ? configMapRef(ref) : { namespace, name: ref }), key };
}

/** `from HarborCluster harbor-system/harbor in admin cluster (Secret ns/name)`. */
export function adminHarborOrigin(harborCluster: string, secret: SecretKeySource): string {
  return `from HarborCluster ${harborCluster} in admin cluster (Secret ${secret.namespace}/${secret.name})`;
}

/** What the admin-cluster watch needs. */
export interface AdminHarborWatch {
  /** The operator's own cluster, where the kubeconfig Secret is. */
  client: KubeClient;
  secret: SecretKeySource;
  /** `namespace/name` of the HarborCluster in the admin cluster. */
  harborCluster: string;
  defaults: SiteDefaults;
  log: Logger;
}

/** The admin cluster currently watched. */
interface Admin {
  client: KubeClient;
  informer?: Informer;
}

/** Follows the kubeconfig Secret, each version to one admin cluster watch (serialized: one switch at a time). */
class AdminHarbor {
  readonly #w: AdminHarborWatch;
  readonly #origin: string;
  #admin: Admin | undefined;
  #text: string | undefined;
  #switching: Promise<void> = Promise.resolve();
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(w: AdminHarborWatch) {
    this.#w = w;
    this.#origin = adminHarborOrigin(w.harborCluster, w.secret);
  }

  /** Queues a switch to the Secret's current kubeconfig; resolves when it is done. */
  follow(secret: KubeObject | undefined): Promise<void> {
    const data = secret?.data as Record<string, unknown> | undefined;
    const encoded = data?.[this.#w.secret.key];
    const text = typeof encoded === "string" ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
    if (text === this.#text && secret) return this.#switching;
    this.#text = text;
    this.#switching = this.#switching.then(() => this.#switch(secret, text));
    return this.#switching;
  }

  async #switch(secret: KubeObject | undefined, text: string | undefined): Promise<void> {
    clearTimeout(this.#retry);
    await this.#close();
    if (this.#stopped) return;
    const where = `Secret ${this.#w.secret.namespace}/${this.#w.secret.name} (key ${this.#w.secret.key})`;
    if (text === undefined) {
      this.#clear(secret ? `${where} has no key "${this.#w.secret.key}"` : `${where} not found`);
      return;
    }
    try {
      const client = new KubeClient(kubeConfigFromText(text, where).kubeConfig);
      this.#admin = { client };
      const watch = { client, object: this.#w.harborCluster, defaults: this.#w.defaults, log: this.#w.log };
      this.#admin.informer = await watchHarborCluster({ ...watch, origin: this.#origin });
      this.#w.log.info({ adminCluster: client.kubeConfig.getCurrentCluster()?.server, from: where }, "admin cluster");
    } catch (err) {
      await this.#close();
      this.#clear(`cannot watch the admin cluster of ${where}: ${(err as Error).message}; trying again in 30 s`);
      this.#retry = setTimeout(
        () => void (this.#switching = this.#switching.then(() => this.#switch(secret, text))),
        RETRY_MS,
      );
      this.#retry.unref();
    }
  }

  /** Drops the URL this watch discovered (the only Harbor URL discovery when an admin cluster is named). */
  #clear(why: string): void {
    this.#w.log.warn({ HarborCluster: this.#w.harborCluster }, `${why}: no Harbor URL from the admin cluster`);
    if (this.#w.defaults.discoverHarborUrl(undefined, this.#origin))
      this.#w.log.info({ defaults: this.#w.defaults.describe() }, "site defaults changed");
  }

  async #close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    await admin?.informer?.stop();
    await admin?.client.close();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    await this.#switching;
    await this.#close();
  }
}

/**
 * Watches the kubeconfig Secret and, through it, the admin cluster's HarborCluster into `defaults`; resolves once
 * the first kubeconfig was tried. Call stop at shutdown.
 */
export async function watchAdminHarborCluster(w: AdminHarborWatch): Promise<{ stop: () => Promise<void> }> {
  const admin = new AdminHarbor(w);
  let first: Promise<void> = Promise.resolve();
  const informer = await watchObject({
    client: w.client,
    type: SECRETS,
    object: `${w.secret.namespace}/${w.secret.name}`,
    log: w.log,
    onChange: (obj) => void (first = admin.follow(obj)),
  });
  if (informer.hasSynced() && informer.list().length === 0) first = admin.follow(undefined);
  await first;
  return { stop: async () => void (await Promise.all([informer.stop(), admin.stop()])) };
}

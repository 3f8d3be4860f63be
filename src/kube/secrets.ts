// Reads Secrets and ConfigMaps that resources reference. References stay inside the resource's own namespace
// unless the operator was started with --allow-cross-namespace-secrets (DESIGN.md: a tenant must not read another
// tenant's credentials through the operator). Values are returned, never logged.
import { isNotFound } from "./api-error.ts";
import { StallingError, WaitingError } from "./errors.ts";
import type { KubeClient } from "./rest-client.ts";
import { CONFIG_MAPS, SECRETS, objectPath } from "./resource.ts";

/** A reference to a Secret or ConfigMap; `namespace` defaults to the referring object's. */
export interface NamespacedRef {
  name: string;
  namespace?: string;
}

/** A decoded Secret. */
export interface SecretData {
  type: string;
  /** Keys to raw bytes (base64 decoded). */
  data: Record<string, Buffer>;
}

/** Options of SecretReader. */
export interface SecretReaderOptions {
  client: KubeClient;
  /** Allow references into other namespaces (the --allow-cross-namespace-secrets flag). */
  allowCrossNamespace: boolean;
  /** Retry delay when the referenced object does not exist yet (default 30 s). */
  notFoundRetryMs?: number;
}

interface SecretDoc {
  type?: string;
  data?: Record<string, string>;
}

interface ConfigMapDoc {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** Reads referenced Secrets and ConfigMaps under the namespace policy. */
export class SecretReader {
  readonly #opts: SecretReaderOptions;

  constructor(options: SecretReaderOptions) {
    this.#opts = options;
  }

  /** True when cross-namespace references are allowed. */
  get allowCrossNamespace(): boolean {
    return this.#opts.allowCrossNamespace;
  }

  /** Reads a Secret referenced by an object in `fromNamespace`. */
  async secret(fromNamespace: string, ref: NamespacedRef, signal?: AbortSignal): Promise<SecretData> {
    const namespace = this.#check("Secret", fromNamespace, ref);
    const doc = await this.#get<SecretDoc>("Secret", namespace, ref.name, signal);
    const data: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(doc.data ?? {})) data[k] = Buffer.from(v, "base64");
    return { type: doc.type ?? "Opaque", data };
  }

  /** Reads a ConfigMap referenced by an object in `fromNamespace`; binaryData is returned base64-decoded as text. */
  async configMap(fromNamespace: string, ref: NamespacedRef, signal?: AbortSignal): Promise<Record<string, string>> {
    const namespace = this.#check("ConfigMap", fromNamespace, ref);
    const doc = await this.#get<ConfigMapDoc>("ConfigMap", namespace, ref.name, signal);
    const out: Record<string, string> = { ...doc.data };
    for (const [k, v] of Object.entries(doc.binaryData ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
    return out;
  }

  #check(kind: string, fromNamespace: string, ref: NamespacedRef): string {
    const namespace = ref.namespace || fromNamespace;
    if (namespace !== fromNamespace && !this.#opts.allowCrossNamespace) {
      throw new StallingError(
        "CrossNamespaceRefNotAllowed",
        `failed to read ${kind} ${namespace}/${ref.name}: it is outside the resource's namespace "${fromNamespace}" and ` +
          `cross-namespace references are not allowed; move the ${kind} into "${fromNamespace}" or start the operator ` +
          `with --allow-cross-namespace-secrets`,
      );
    }
    return namespace;
  }

  async #get<T>(kind: "Secret" | "ConfigMap", namespace: string, name: string, signal?: AbortSignal): Promise<T> {
    const type = kind === "Secret" ? SECRETS : CONFIG_MAPS;
    try {
      return await this.#opts.client.request<T>(objectPath(type, { namespace, name }), { signal, timeoutMs: 15_000 });
    } catch (err) {
      if (isNotFound(err)) {
        throw new WaitingError(`${kind}NotFound`, `failed to read ${kind} ${namespace}/${name}: not found`, this.#opts.notFoundRetryMs ?? 30_000);
      }
      throw err;
    }
  }
}

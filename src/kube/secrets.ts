// Reads Secrets that resources reference. References stay inside the resource's own namespace
// unless the operator was started with --allow-cross-namespace-secrets (docs/DESIGN.md: a tenant must not read another
// tenant's credentials through the operator). Values are returned, never logged.
import { isNotFound } from "./api-error.ts";
import { StallingError, WaitingError } from "./errors.ts";
import type { KubeClient } from "./rest-client.ts";
import { SECRETS, objectPath } from "./resource.ts";

/** A reference to a Secret; `namespace` defaults to the referring object's. */
export interface NamespacedRef {
  name: string;
  namespace?: string;
}

/** A decoded Secret. */
export interface SecretData {
  type: string;
  /** metadata.resourceVersion: changes whenever the Secret does (an input fingerprint without the values). */
  resourceVersion: string;
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
  /** Called with `namespace/name@resourceVersion` of every Secret read (see recording()). */
  onRead?: (version: string) => void;
}

interface SecretDoc {
  type?: string;
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

/** Reads referenced Secrets under the namespace policy. */
export class SecretReader {
  readonly #opts: SecretReaderOptions;

  constructor(options: SecretReaderOptions) {
    this.#opts = options;
  }

  /** True when cross-namespace references are allowed. */
  get allowCrossNamespace(): boolean {
    return this.#opts.allowCrossNamespace;
  }

  /**
   * A reader with the same policy that records `namespace/name@resourceVersion` of every Secret it reads, so a
   * reconcile can fingerprint its inputs (and store the fingerprint in status) without the Secrets' values.
   */
  recording(): { reader: SecretReader; reads: () => string[] } {
    const seen: string[] = [];
    const outer = this.#opts.onRead;
    const reader = new SecretReader({
      ...this.#opts,
      onRead: (version) => {
        seen.push(version);
        outer?.(version);
      },
    });
    return { reader, reads: () => [...seen] };
  }

  /** Reads a Secret referenced by an object in `fromNamespace`. */
  async secret(fromNamespace: string, ref: NamespacedRef, signal?: AbortSignal): Promise<SecretData> {
    const namespace = this.#check("Secret", fromNamespace, ref);
    const doc = await this.#get(namespace, ref.name, signal);
    const data: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(doc.data ?? {})) data[k] = Buffer.from(v, "base64");
    const resourceVersion = doc.metadata?.resourceVersion ?? "";
    this.#opts.onRead?.(`${namespace}/${ref.name}@${resourceVersion}`);
    return { type: doc.type ?? "Opaque", resourceVersion, data };
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

  async #get(namespace: string, name: string, signal?: AbortSignal): Promise<SecretDoc> {
    try {
      return await this.#opts.client.request<SecretDoc>(objectPath(SECRETS, { namespace, name }), { signal, timeoutMs: 15_000 });
    } catch (err) {
      if (isNotFound(err)) {
        throw new WaitingError("SecretNotFound", `failed to read Secret ${namespace}/${name}: not found`, this.#opts.notFoundRetryMs ?? 30_000);
      }
      throw err;
    }
  }
}

// Reads Secrets that resources reference. References stay inside the resource's own namespace (docs/DESIGN.md: a
// tenant must not read another tenant's credentials through the operator) unless one of two doors is open:
// - a grant, which needs both halves: the operator lists the Secret's namespace as a source
//   (--secret-source-namespaces, or a site profile's default), and the Secret names the namespaces that may use it
//   in its annotation airlift.dev/allowed-namespaces (comma-separated, `*` and `?` globs);
// - the wide door, --allow-cross-namespace-secrets: every resource may name every Secret of the cluster.
// This is the one place that decides. Values are returned, never logged.
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
  /** Allow references into every other namespace (the --allow-cross-namespace-secrets flag: the wide door). */
  allowCrossNamespace: boolean;
  /** Namespaces whose Secrets may be granted to others by their allowed-namespaces annotation. */
  sourceNamespaces?: readonly string[];
  /** Retry delay when the referenced object does not exist yet (default 30 s). */
  notFoundRetryMs?: number;
  /** Called with `namespace/name@resourceVersion` of every Secret read (see recording()). */
  onRead?: (version: string) => void;
}

/** The annotation by which a Secret in a source namespace names the namespaces that may use it. */
export const ALLOWED_NAMESPACES_ANNOTATION = "airlift.dev/allowed-namespaces";

/** True when `namespace` matches one of the comma-separated glob patterns (`*` any run, `?` one character). */
export function namespaceAllowed(patterns: string, namespace: string): boolean {
  return patterns
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .some((p) =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*/g, ".*")
          .replace(/\?/g, ".")}$`,
      ).test(namespace),
    );
}

interface SecretDoc {
  type?: string;
  metadata?: { resourceVersion?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

function decode(doc: SecretDoc): SecretData {
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(doc.data ?? {})) data[k] = Buffer.from(v, "base64");
  return { type: doc.type ?? "Opaque", resourceVersion: doc.metadata?.resourceVersion ?? "", data };
}

/** Reads referenced Secrets under the namespace policy. */
export class SecretReader {
  #opts: SecretReaderOptions;

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

  /** The namespaces whose Secrets may be granted across namespaces by their annotation. */
  get sourceNamespaces(): readonly string[] {
    return this.#opts.sourceNamespaces ?? [];
  }

  /**
   * Sets the Secret source namespaces (the operator does so at start, before any reconcile, on the reader its
   * Manager built). Readers made by recording() afterwards share them.
   */
  setSourceNamespaces(namespaces: readonly string[]): void {
    this.#opts = { ...this.#opts, sourceNamespaces: [...namespaces] };
  }

  /** Reads a Secret referenced by an object in `fromNamespace`. */
  async secret(fromNamespace: string, ref: NamespacedRef, signal?: AbortSignal): Promise<SecretData> {
    const namespace = ref.namespace || fromNamespace;
    const granted = namespace === fromNamespace || this.#opts.allowCrossNamespace;
    if (!granted) this.#checkSource(namespace, fromNamespace, ref);
    const doc = await this.#get(namespace, ref.name, signal);
    if (!granted) this.#checkGrant(doc, namespace, fromNamespace, ref);
    const secret = decode(doc);
    this.#opts.onRead?.(`${namespace}/${ref.name}@${secret.resourceVersion}`);
    return secret;
  }

  /** The operator's half of a grant: the Secret's namespace is a source (checked before the Secret is read). */
  #checkSource(namespace: string, fromNamespace: string, ref: NamespacedRef): void {
    if (this.sourceNamespaces.includes(namespace)) return;
    const sources = this.sourceNamespaces.length > 0 ? this.sourceNamespaces.join(", ") : "none";
    throw new StallingError(
      "CrossNamespaceRefNotAllowed",
      `failed to read Secret ${namespace}/${ref.name}: it is outside the resource's namespace "${fromNamespace}", and ` +
        `namespace "${namespace}" is not one of the operator's Secret source namespaces (${sources}); an admin lists it ` +
        `with --secret-source-namespaces (Helm value secretSourceNamespaces) and annotates the Secret with ` +
        `${ALLOWED_NAMESPACES_ANNOTATION}: "${fromNamespace}", or move the Secret into "${fromNamespace}" ` +
        `(--allow-cross-namespace-secrets, the wide door, opens every Secret to every resource)`,
    );
  }

  /** The Secret's half of a grant: its annotation names the referring namespace. */
  #checkGrant(doc: SecretDoc, namespace: string, fromNamespace: string, ref: NamespacedRef): void {
    const patterns = doc.metadata?.annotations?.[ALLOWED_NAMESPACES_ANNOTATION];
    if (patterns !== undefined && namespaceAllowed(patterns, fromNamespace)) return;
    const found =
      patterns === undefined
        ? `it has no annotation ${ALLOWED_NAMESPACES_ANNOTATION}`
        : `its annotation ${ALLOWED_NAMESPACES_ANNOTATION} ("${patterns}") does not match "${fromNamespace}"`;
    throw new StallingError(
      "CrossNamespaceRefNotAllowed",
      `failed to read Secret ${namespace}/${ref.name}: namespace "${namespace}" is a Secret source namespace of the ` +
        `operator, but the Secret does not grant namespace "${fromNamespace}": ${found}; an admin adds "${fromNamespace}" ` +
        `(globs allowed, e.g. "team-*") to that annotation`,
    );
  }

  async #get(namespace: string, name: string, signal?: AbortSignal): Promise<SecretDoc> {
    try {
      return await this.#opts.client.request<SecretDoc>(objectPath(SECRETS, { namespace, name }), {
        signal,
        timeoutMs: 15_000,
      });
    } catch (err) {
      if (isNotFound(err)) {
        throw new WaitingError(
          "SecretNotFound",
          `failed to read Secret ${namespace}/${name}: not found`,
          this.#opts.notFoundRetryMs ?? 30_000,
        );
      }
      throw err;
    }
  }
}

// A small JSON REST client for the Kubernetes API on top of a KubeConfig (kube-config.ts). The generated client-node
// APIs build a new undici Agent per call and take no AbortSignal; the runtime needs one pooled connection, a
// signal and a timeout on every call, and an explicit patch content type (STYLE.md, client-node issue #2434).
// Every call is reported to the client's request observer (the rest_client_* metrics), as client-go's transport does.
import type { HttpsOptions, KubeConfig } from "./kube-config.ts";
import { Agent, request, type Dispatcher } from "undici";
import type { ConnectionOptions } from "node:tls";
import { API_REQUEST_TIMEOUT_MS, CONNECT_TIMEOUT_MS, H2_PING_INTERVAL_MS } from "../net/network-bounds.ts";
import type { RestRequest } from "../observability/rest-client-metrics.ts";
import { clearableTimeoutSignal, type ClearableSignal } from "../net/timeout-signal.ts";
import { ApiError, apiErrorFromBody } from "./api-error.ts";

/** Called once per API call with its status code ("<error>" when no answer came) and latency to the headers. */
export type RequestObserver = (request: RestRequest) => void;

/** The observers of KubeConfigs, so clients built deeper down from the same config (the sync engine's) count too. */
const observers = new WeakMap<KubeConfig, RequestObserver>();

/** Reports every call of the KubeClients built from `kc` from now on to `observer` (the manager's metrics). */
export function observeRequests(kc: KubeConfig, observer: RequestObserver): void {
  observers.set(kc, observer);
}

/** The observer registered for `kc`, if any (a client built from a copy of `kc` passes it on). */
export function requestObserver(kc: KubeConfig): RequestObserver | undefined {
  return observers.get(kc);
}

/** Options of a KubeClient. */
export interface KubeClientOptions {
  /** Default: the one registered for the KubeConfig with observeRequests. */
  observer?: RequestObserver;
}

/** The patch flavours the API server accepts; strategic merge is deliberately absent (custom resources refuse it). */
export type PatchType = "merge" | "apply" | "json";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  apply: "application/apply-patch+yaml",
  json: "application/json-patch+json",
};

/** Options of one API call. */
export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Sets the patch content type; required for PATCH. */
  patchType?: PatchType;
  signal?: AbortSignal;
  /** Whole-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Accept header (default application/json); e.g. PartialObjectMetadataList for a metadata-only list. */
  accept?: string;
}

/** Options of a streaming (watch) call. */
export interface StreamOptions {
  query?: Record<string, string | number | boolean | undefined>;
  signal: AbortSignal;
  /** Accept header (default application/json); e.g. PartialObjectMetadata for a metadata-only watch. */
  accept?: string;
}

const DEFAULT_TIMEOUT_MS = API_REQUEST_TIMEOUT_MS;

/** How long computed auth headers are reused (see #headers). */
const AUTH_REUSE_MS = 10_000;

/** The caller's signal, bounded by the request's timeout; `clear` once the answer is read (see timeout-signal.ts). */
function requestSignal(options: RequestOptions): ClearableSignal {
  return clearableTimeoutSignal(options.signal, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}

/** The content type of a request body: a patch type's, else JSON. */
function contentType(patchType: PatchType | undefined): string {
  return patchType ? PATCH_CONTENT_TYPES[patchType] : "application/json";
}

/** JSON client for the Kubernetes API server named by a KubeConfig's current context. */
export class KubeClient {
  readonly #kc: KubeConfig;
  readonly #server: string;
  readonly #host: string;
  readonly #observer: RequestObserver | undefined;
  #dispatcher: Dispatcher | undefined;
  #auth: { until: number; headers: Promise<Record<string, string>> } | undefined;

  constructor(kc: KubeConfig, options: KubeClientOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("failed to build kube client: the kubeconfig has no current cluster");
    this.#kc = kc;
    this.#server = cluster.server.replace(/\/+$/, "");
    this.#host = URL.canParse(this.#server) ? new URL(this.#server).host : this.#server;
    this.#observer = options.observer ?? observers.get(kc);
  }

  /** The KubeConfig this client was built from. */
  get kubeConfig(): KubeConfig {
    return this.#kc;
  }

  /** Sends one request and returns the decoded JSON body; throws ApiError on a non-2xx answer. */
  async request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.exchange<T>(path, options)).body;
  }

  /** As request, with the answer's status code (201 tells a create from an update, e.g. for server-side apply). */
  async exchange<T = unknown>(path: string, options: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const method = options.method ?? "GET";
    if (method === "PATCH" && !options.patchType) throw new Error("failed to patch: a patch type is required");
    const { signal, clear } = requestSignal(options);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let text: string;
    let res: Dispatcher.ResponseData<unknown>;
    try {
      const headers = await this.#requestHeaders(options, body !== undefined);
      res = await this.#send(method, this.#url(path, options.query), {
        method,
        headers,
        body,
        signal,
        dispatcher: this.#dispatcher,
      });
      text = await res.body.text();
    } finally {
      clear();
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw apiErrorFromBody(res.statusCode, method, path, text);
    return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /**
   * Opens a streaming GET (a watch) and returns its body as a byte stream; the caller splits lines.
   * Only the connection phase has a timeout; stalls after that are the caller's to detect.
   */
  async stream(path: string, options: StreamOptions): Promise<AsyncIterable<Buffer>> {
    const headers = await this.#headers();
    headers.accept = options.accept ?? "application/json";
    // The signal given to undici covers the body too, so the connect timeout is a timer cleared once headers arrive.
    const connect = new AbortController();
    const timer = setTimeout(
      () => connect.abort(new Error(`failed to watch ${path}: no response headers in ${DEFAULT_TIMEOUT_MS} ms`)),
      DEFAULT_TIMEOUT_MS,
    );
    let res: Dispatcher.ResponseData<unknown>;
    try {
      res = await this.#send("GET", this.#url(path, options.query), {
        method: "GET",
        headers,
        signal: AbortSignal.any([options.signal, connect.signal]),
        dispatcher: this.#dispatcher,
      });
    } finally {
      clearTimeout(timer);
    }
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      throw apiErrorFromBody(res.statusCode, "GET", path, text);
    }
    // Past the headers: from here the caller's signal alone ends the stream (undici ties the body to `signal`).
    return res.body as AsyncIterable<Buffer>;
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }

  /** One HTTP exchange up to its response headers, reported to the observer. */
  async #send(
    method: string,
    url: string,
    options: Parameters<typeof request>[1],
  ): Promise<Dispatcher.ResponseData<unknown>> {
    const started = performance.now();
    let code = "<error>";
    try {
      const res = await request(url, options);
      code = String(res.statusCode);
      return res;
    } finally {
      this.#observer?.({ method, code, host: this.#host, seconds: (performance.now() - started) / 1_000 });
    }
  }

  /** Auth, Accept and (with a body) Content-Type headers of one request. */
  async #requestHeaders(options: RequestOptions, hasBody: boolean): Promise<Record<string, string>> {
    const headers = await this.#headers();
    headers.accept = options.accept ?? "application/json";
    if (hasBody) headers["content-type"] = contentType(options.patchType);
    return headers;
  }

  #url(path: string, query: RequestOptions["query"]): string {
    const url = new URL(this.#server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  // Auth headers are computed again every AUTH_REUSE_MS, not per call: exec plugins and in-cluster token files
  // rotate credentials (in minutes), and each computation reads or decodes the CA, certificate and key again
  // (measured: 1 s of CPU over the 20,000 calls of a 10,000-object sync). A failed computation is not reused.
  async #headers(): Promise<Record<string, string>> {
    const now = performance.now();
    if (!this.#auth || now >= this.#auth.until) {
      const headers = this.#computeHeaders();
      this.#auth = { until: now + AUTH_REUSE_MS, headers };
      headers.catch(() => {
        if (this.#auth?.headers === headers) this.#auth = undefined;
      });
    }
    return { ...(await this.#auth.headers) };
  }

  async #computeHeaders(): Promise<Record<string, string>> {
    const opts: HttpsOptions = {};
    await this.#kc.applyToHTTPSOptions(opts);
    this.#dispatcher ??= this.#makeDispatcher(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = String(v);
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
    return headers;
  }

  #makeDispatcher(opts: HttpsOptions): Dispatcher {
    const connect: ConnectionOptions & { timeout?: number } = { timeout: CONNECT_TIMEOUT_MS };
    if (opts.ca) connect.ca = opts.ca;
    if (opts.cert) connect.cert = opts.cert;
    if (opts.key) connect.key = opts.key;
    if (opts.rejectUnauthorized !== undefined) connect.rejectUnauthorized = opts.rejectUnauthorized;
    if (opts.servername) connect.servername = opts.servername;
    // Watches are long-lived: no body timeout here; the informer's stall timer bounds them. The API server speaks
    // HTTP/2: its PINGs find a silent connection that carries every watch (network-bounds.ts).
    return new Agent({
      connect,
      bodyTimeout: 0,
      headersTimeout: DEFAULT_TIMEOUT_MS,
      keepAliveTimeout: 30_000,
      h2Options: { pingInterval: H2_PING_INTERVAL_MS },
    });
  }
}

export { ApiError };

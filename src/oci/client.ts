/**
 * `RegistryClient`: one registry host, its connection pool and its transport stack
 * (auth → retry → redirect → logging → undici). Repositories hang off it.
 */
import type { Agent } from "undici";
import { createAgent, type ConnectionSettings } from "../net/agents.ts";
import type { Lease } from "../net/connection-cache.ts";
import { TRANSFER_IDLE_TIMEOUT_MS } from "../net/network-bounds.ts";
import type { CallOptions } from "../ocispec/content.ts";
import { defaultRetryPolicy, type RetryPolicy } from "../net/backoff.ts";
import { timeoutSignal } from "../net/timeout-signal.ts";
import { Authenticator } from "./auth.ts";
import type { CredentialProvider } from "./docker-config.ts";
import { InvalidInputError } from "./errors.ts";
import {
  discard,
  header,
  undiciSend,
  type HttpMethod,
  type HttpRequest,
  type HttpResponse,
  type Send,
  type Timeouts,
} from "./http.ts";
import { registryEndpointHost } from "./reference.ts";
import { errorFromResponse } from "./response-errors.ts";
import {
  compose,
  loggingLayer,
  redirectLayer,
  retryLayer,
  type RequestEvent,
  type RetryEvent,
  type TransportLogger,
} from "./transport.ts";

/** Everything a client needs to reach one registry (CA bundle, TLS opt-out and SSRF policy: ConnectionSettings). */
export interface ClientOptions extends ConnectionSettings {
  /** Registry host as in references (`harbor.example.com`, `127.0.0.1:5000`, `docker.io`). */
  registry: string;
  /** Speak plain HTTP. Off by default: only for registries the user marked as HTTP. */
  plainHttp?: boolean;
  /** Where credentials come from (see `dockerConfigCredentials`, `basicCredentials`); anonymous when absent. */
  credentials?: CredentialProvider;
  retry?: Partial<RetryPolicy>;
  /** Per exchange: wait for response headers, and at most this long between body chunks (both default to TRANSFER_IDLE_TIMEOUT_MS). */
  timeouts?: Partial<Timeouts>;
  /** Whole-call limit of metadata calls (manifests, tags, HEAD, ping) when the caller gives none; default 60 s. */
  callTimeoutMs?: number;
  /** Called after every exchange on the wire; the base for request counting and metrics. */
  onRequest?: (e: RequestEvent) => void;
  /** Called before every retry with the chosen delay. */
  onRetry?: (e: RetryEvent) => void;
  logger?: TransportLogger;
  /** A connection pool lent by the shared cache (net/connection-cache.ts): close() releases it instead of closing. */
  pool?: Lease<Agent>;
}

/** What a repository's stores share: the stack, the base URL and the repository name. */
export interface RepositoryContext {
  client: RegistryClient;
  repository: string;
}

/** One registry: connection pool, auth state (token cache) and transport. Close it when done. */
export class RegistryClient {
  readonly registry: string;
  readonly baseUrl: URL;
  readonly callTimeoutMs: number;
  readonly #agent: Agent;
  readonly #pool: Lease<Agent> | undefined;
  readonly #send: Send;

  constructor(options: ClientOptions) {
    this.registry = options.registry;
    const host = registryEndpointHost(options.registry);
    this.baseUrl = new URL(`${options.plainHttp ? "http" : "https"}://${host}`);
    if (this.baseUrl.host !== host.toLowerCase())
      throw new InvalidInputError(`invalid registry host ${JSON.stringify(options.registry)}`, "REFERENCE_INVALID");
    this.callTimeoutMs = options.callTimeoutMs ?? 60_000;
    this.#pool = options.pool;
    this.#agent = options.pool?.value ?? createAgent(options);
    const timeouts: Timeouts = {
      headersTimeoutMs: TRANSFER_IDLE_TIMEOUT_MS,
      bodyTimeoutMs: TRANSFER_IDLE_TIMEOUT_MS,
      ...options.timeouts,
    };
    const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
    const below = compose(
      undiciSend(this.#agent, timeouts),
      retryLayer(policy, options.onRetry),
      redirectLayer(),
      loggingLayer(options.onRequest, options.logger),
    );
    const auth = new Authenticator({ tokenSend: below, credentials: options.credentials });
    this.#send = auth.layer(below);
  }

  /** Sends one request through the whole stack. */
  send(request: HttpRequest): Promise<HttpResponse> {
    return this.#send(request);
  }

  /** `GET /v2/`: resolves when the registry answers and accepts our credentials. */
  async ping(options: CallOptions = {}): Promise<void> {
    const res = await this.send({
      method: "GET",
      url: new URL("/v2/", this.baseUrl),
      headers: {},
      signal: this.signal(options),
    });
    if (res.status !== 200) throw await errorFromResponse(res, `ping registry ${this.registry}`);
    await discard(res);
  }

  /** The caller's signal combined with the call's time limit. */
  signal(options: CallOptions, defaultTimeoutMs: number | undefined = this.callTimeoutMs): AbortSignal | undefined {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    return timeoutMs === undefined ? options.signal : timeoutSignal(options.signal, timeoutMs);
  }

  /** Closes the connection pool (hands a lent one back). */
  async close(): Promise<void> {
    await (this.#pool ? this.#pool.release() : this.#agent.close());
  }
}

/** Builds `/v2/<repository>/<path>` on the registry. */
export function repoUrl(ctx: RepositoryContext, path: string): URL {
  return new URL(`/v2/${ctx.repository}/${path}`, ctx.client.baseUrl);
}

/** Sends a request scoped to the repository (the token scope is derived from the actions). */
export function repoRequest(
  ctx: RepositoryContext,
  method: HttpMethod,
  url: URL,
  init: {
    headers?: Record<string, string>;
    body?: HttpRequest["body"];
    signal?: AbortSignal | undefined;
    actions?: string;
    extraScopes?: string[];
    idempotent?: boolean;
  },
): Promise<HttpResponse> {
  const actions = init.actions ?? (method === "GET" || method === "HEAD" ? "pull" : "pull,push");
  const req: HttpRequest = {
    method,
    url,
    headers: init.headers ?? {},
    scopes: [`repository:${ctx.repository}:${actions}`, ...(init.extraScopes ?? [])],
  };
  if (init.body !== undefined) req.body = init.body;
  if (init.signal) req.signal = init.signal;
  if (init.idempotent !== undefined) req.idempotent = init.idempotent;
  return ctx.client.send(req);
}

/** `/v2/<repo>/...` Location headers may be relative or absolute: resolve against the answering URL. */
export function locationOf(res: HttpResponse): URL | undefined {
  const text = header(res, "location");
  return text === undefined ? undefined : new URL(text, res.url);
}

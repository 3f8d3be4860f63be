/**
 * A strict client for the part of Harbor's v2.0 API airlift needs: the artifact list of a repository with tags
 * and push times (goharbor/harbor api/v2.0/swagger.yaml, operation `listArtifacts`), and a probe telling a
 * Harbor from a plain registry. Every call takes an AbortSignal and a per-request timeout; credentials go in
 * the Authorization header only and never into errors or logs.
 */
import type { EndpointPolicy } from "../net/endpoint-policy.ts";
import { guardedConnector } from "../net/guarded-connector.ts";
import { rootCertificates } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, type Dispatcher } from "undici";
import { API_BASE, MAX_PAGE_SIZE, artifactsPath, nextPageFromLink } from "./api-paths.ts";
import { narrowArtifactPage, type HarborArtifact } from "./artifact.ts";
import { HarborError, HarborRequestError, HarborResponseShapeError, classifyNetworkError, errorForStatus, isTransientStatus, parseHarborErrorBody } from "./errors.ts";

/** Basic-auth credentials: a user, or a robot account (`robot$name`, `robot$project+name`). */
export interface HarborCredentials {
  username: string;
  password: string;
}

/** How to reach one Harbor. */
export interface HarborClientOptions {
  /** Harbor's base URL, e.g. `https://harbor.example.com`; no credentials in it. */
  url: string | URL;
  credentials?: HarborCredentials;
  /** Extra trusted CAs (PEM), added to Node's built-in roots. */
  caPem?: string;
  /** The operator's SSRF policy, applied to every connection; everything when absent. */
  endpointPolicy?: EndpointPolicy;
  /** Skip certificate verification; only when the user explicitly asked for it. */
  insecureSkipTLSVerify?: boolean;
  /** Limit of one request, headers and body together (default 30 s). */
  timeoutMs?: number;
  /** Attempts per request for transient failures, the first included (default 3). */
  attempts?: number;
  /** First retry delay, doubled each time (default 250 ms). */
  retryDelayMs?: number;
  /** Stop with an error beyond this many pages (default 1000, i.e. 100,000 artifacts). */
  maxPages?: number;
  /** A dispatcher to use instead of the client's own Agent (tests, proxies). */
  dispatcher?: Dispatcher;
}

/** The query of one artifact listing. */
export interface ListArtifactsOptions {
  project: string;
  /** Repository inside the project; may contain `/` (sent double-encoded, as Harbor requires). */
  repository: string;
  /** Include each artifact's tags (default true). */
  withTag?: boolean;
  /** Harbor sort expression (default `-push_time`, newest first). */
  sort?: string;
  /** Artifacts per page, at most 100 (default 100). */
  pageSize?: number;
  /** Harbor query expression, e.g. `tags=~v1` (passed through). */
  q?: string;
  signal?: AbortSignal;
}

/** Options of calls that take only a signal. */
export interface CallOptions {
  signal?: AbortSignal;
}

const PAGE_BYTES_LIMIT = 8 * 1024 * 1024;
const ERROR_BYTES_LIMIT = 64 * 1024;

interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function lastHeader(headers: JsonResponse["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

async function readText(body: Dispatcher.ResponseData["body"], limit: number, what: string): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) {
      body.destroy();
      throw new HarborResponseShapeError(`failed to ${what}: response larger than ${limit} bytes`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, size).toString("utf8");
}

function tlsOptions(options: { caPem?: string; insecureSkipTLSVerify?: boolean }): { ca?: string[]; rejectUnauthorized?: boolean } {
  return {
    ...(options.caPem ? { ca: [...rootCertificates, options.caPem] } : {}),
    ...(options.insecureSkipTLSVerify ? { rejectUnauthorized: false } : {}),
  };
}

/** A Harbor API client for one Harbor instance. */
export class HarborClient {
  readonly #base: URL;
  readonly #prefix: string;
  readonly #authorization: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #retryDelayMs: number;
  readonly #maxPages: number;

  constructor(options: HarborClientOptions) {
    const base = new URL(options.url);
    if (base.username !== "" || base.password !== "") throw new HarborRequestError("Harbor URL must not carry credentials; pass them as credentials", { code: "INVALID_URL", transient: false });
    if (base.protocol !== "https:" && base.protocol !== "http:") throw new HarborRequestError(`Harbor URL must be http or https, not ${base.protocol}`, { code: "INVALID_URL", transient: false });
    this.#base = base;
    // A Harbor behind a path prefix keeps it; "/" (the usual case) adds nothing.
    this.#prefix = base.pathname.replace(/\/+$/, "");
    const creds = options.credentials;
    this.#authorization = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`, "utf8").toString("base64")}` : undefined;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        connections: 4,
        keepAliveTimeout: 30_000,
        connect: options.endpointPolicy ? guardedConnector(options.endpointPolicy, tlsOptions(options)) : tlsOptions(options),
      });
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#attempts = Math.max(1, options.attempts ?? 3);
    this.#retryDelayMs = options.retryDelayMs ?? 250;
    this.#maxPages = options.maxPages ?? 1000;
  }

  /** The base URL (without credentials). */
  get url(): string {
    return this.#base.toString();
  }

  /**
   * Every artifact of a repository, page by page (`page`, `page_size`, `Link: rel="next"`), newest pushed first
   * by default. Fails with HarborNotFoundError for an unknown project or repository.
   */
  async *listArtifacts(options: ListArtifactsOptions): AsyncGenerator<HarborArtifact> {
    const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, options.pageSize ?? MAX_PAGE_SIZE));
    const what = `list artifacts of ${options.project}/${options.repository}`;
    let page: number | undefined = 1;
    for (let fetched = 0; page !== undefined; fetched++) {
      if (fetched >= this.#maxPages) throw new HarborResponseShapeError(`failed to ${what}: more than ${this.#maxPages} pages`);
      const url = this.#apiUrl(artifactsPath(options.project, options.repository));
      url.searchParams.set("page", String(page));
      url.searchParams.set("page_size", String(pageSize));
      url.searchParams.set("with_tag", String(options.withTag ?? true));
      url.searchParams.set("sort", options.sort ?? "-push_time");
      if (options.q !== undefined) url.searchParams.set("q", options.q);
      const res = await this.#get(url, what, PAGE_BYTES_LIMIT, options.signal);
      if (res.status !== 200) throw errorForStatus(res.status, what, parseHarborErrorBody(res.text));
      const artifacts = narrowArtifactPage(this.#json(res.text, what));
      yield* artifacts;
      // An empty page ends the listing even if a (buggy) server keeps linking onwards.
      page = artifacts.length === 0 ? undefined : nextPageFromLink(lastHeader(res.headers, "link"), page);
    }
  }

  /**
   * True when the URL answers Harbor's `GET /api/v2.0/systeminfo` (or `/api/v2.0/ping`) as Harbor does; false
   * for any other well-formed answer (a plain registry's 404). Connection and TLS failures throw: "unreachable"
   * is not "not Harbor".
   */
  async isHarbor(options: CallOptions = {}): Promise<boolean> {
    const info = await this.#get(this.#apiUrl(`${API_BASE}/systeminfo`), "probe Harbor systeminfo", ERROR_BYTES_LIMIT, options.signal);
    if (info.status === 200) return looksLikeSystemInfo(info.text);
    if (info.status >= 500) throw errorForStatus(info.status, "probe Harbor systeminfo", parseHarborErrorBody(info.text));
    const ping = await this.#get(this.#apiUrl(`${API_BASE}/ping`), "probe Harbor ping", ERROR_BYTES_LIMIT, options.signal);
    return ping.status === 200 && /^"?Pong"?$/.test(ping.text.trim());
  }

  /** Closes the client's own connection pool. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  #apiUrl(path: string): URL {
    const url = new URL(this.#base);
    url.pathname = `${this.#prefix}${path}`;
    url.search = "";
    return url;
  }

  #json(text: string, what: string): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HarborResponseShapeError(`failed to ${what}: the response is not JSON`);
    }
  }

  /** One GET with retries of transient failures; the body is read (bounded) before returning. */
  async #get(url: URL, what: string, limit: number, signal: AbortSignal | undefined): Promise<JsonResponse> {
    for (let attempt = 1; ; attempt++) {
      let result: JsonResponse | HarborError | Error;
      try {
        result = await this.#getOnce(url, what, limit, signal);
      } catch (err) {
        result = classifyNetworkError(err, what, signal);
      }
      const transient = result instanceof HarborError ? result.transient : !(result instanceof Error) && isTransientStatus(result.status);
      if (!transient || attempt >= this.#attempts || signal?.aborted) {
        if (result instanceof Error) throw result;
        return result;
      }
      await sleep(this.#retryDelayMs * 2 ** (attempt - 1), undefined, signal ? { signal } : {});
    }
  }

  async #getOnce(url: URL, what: string, limit: number, callerSignal: AbortSignal | undefined): Promise<JsonResponse> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#authorization) headers.authorization = this.#authorization;
    const res = await this.#dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: "GET",
      headers,
      signal,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    const text = await readText(res.body, res.statusCode === 200 ? limit : ERROR_BYTES_LIMIT, what).catch((err: unknown) => {
      // An oversized error body says nothing useful; keep the status.
      if (res.statusCode !== 200 && err instanceof HarborResponseShapeError) return "";
      throw err;
    });
    return { status: res.statusCode, headers: res.headers, text };
  }
}

/** Harbor's `GeneralInfo` always carries `auth_mode`; `harbor_version` is there unless hidden from anonymous callers. */
function looksLikeSystemInfo(text: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return false;
  const info = doc as { auth_mode?: unknown; harbor_version?: unknown };
  return typeof info.auth_mode === "string" || typeof info.harbor_version === "string";
}

/** Probes `registryUrl` once with a throwaway client; see HarborClient.isHarbor. */
export async function isHarbor(registryUrl: string | URL, options: Omit<HarborClientOptions, "url"> & CallOptions = {}): Promise<boolean> {
  const { signal, ...clientOptions } = options;
  const client = new HarborClient({ ...clientOptions, url: registryUrl });
  try {
    return await client.isHarbor(signal ? { signal } : {});
  } finally {
    await client.close();
  }
}

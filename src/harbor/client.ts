/**
 * A strict client for the part of Harbor's v2.0 API airlift needs: the artifact list of a repository with tags
 * and push times (goharbor/harbor api/v2.0/swagger.yaml, operation `listArtifacts`), and a probe telling a
 * Harbor from a plain registry. Every call takes an AbortSignal and a per-request timeout; credentials go in
 * the Authorization header only and never into errors or logs.
 */
import type { Dispatcher } from "undici";
import { createAgent, type ConnectionSettings } from "../net/agents.ts";
import { defaultRetryPolicy, withRetry, type RetryPolicy } from "../net/backoff.ts";
import { readBounded } from "../net/bounded-read.ts";
import { readErrorBody, type ErrorBodyEntry } from "../net/error-body.ts";
import { headerValue, type ResponseHeaders } from "../net/headers.ts";
import { isTransientStatus } from "../net/network-errors.ts";
import { timeoutSignal } from "../net/timeout-signal.ts";
import { API_BASE, MAX_PAGE_SIZE, artifactsPath, nextPageFromLink } from "./api-paths.ts";
import { narrowArtifactPage, type HarborArtifact } from "./artifact.ts";
import { HarborRequestError, HarborResponseShapeError, classifyNetworkError, errorForStatus } from "./errors.ts";

/** Basic-auth credentials: a user, or a robot account (`robot$name`, `robot$project+name`). */
export interface HarborCredentials {
  username: string;
  password: string;
}

/** How to reach one Harbor (CA bundle, TLS opt-out and SSRF policy: ConnectionSettings). */
export interface HarborClientOptions extends ConnectionSettings {
  /** Harbor's base URL, e.g. `https://harbor.example.com`; no credentials in it. */
  url: string | URL;
  credentials?: HarborCredentials;
  /** Limit of one request, headers and body together (default 30 s). */
  timeoutMs?: number;
  /** Retries of transient failures (default 3 attempts in all, from 250 ms); see net/backoff.ts. */
  retry?: Partial<RetryPolicy>;
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
  /** Ask for each artifact's `accessories` (default true): what makes `hasSubject` known to the tag policy. */
  withAccessory?: boolean;
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
const PROBE_BYTES_LIMIT = 64 * 1024;

/** An API call's answer: the status, and the body as text (200) or as Harbor's error entries (any other status). */
interface HarborResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
  errors: ErrorBodyEntry[];
}

/** A Harbor API client for one Harbor instance. */
export class HarborClient {
  readonly #base: URL;
  readonly #prefix: string;
  readonly #authorization: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #maxPages: number;

  constructor(options: HarborClientOptions) {
    const base = new URL(options.url);
    if (base.username !== "" || base.password !== "")
      throw new HarborRequestError("Harbor URL must not carry credentials; pass them as credentials", {
        code: "INVALID_URL",
        transient: false,
      });
    if (base.protocol !== "https:" && base.protocol !== "http:")
      throw new HarborRequestError(`Harbor URL must be http or https, not ${base.protocol}`, {
        code: "INVALID_URL",
        transient: false,
      });
    this.#base = base;
    // A Harbor behind a path prefix keeps it; "/" (the usual case) adds nothing.
    this.#prefix = base.pathname.replace(/\/+$/, "");
    const creds = options.credentials;
    this.#authorization = creds
      ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`, "utf8").toString("base64")}`
      : undefined;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? createAgent({ ...options, connections: 4 });
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retry = { ...defaultRetryPolicy, maxAttempts: 3, baseDelayMs: 250, ...options.retry };
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
      if (fetched >= this.#maxPages)
        throw new HarborResponseShapeError(`failed to ${what}: more than ${this.#maxPages} pages`);
      const url = this.#apiUrl(artifactsPath(options.project, options.repository));
      url.searchParams.set("page", String(page));
      url.searchParams.set("page_size", String(pageSize));
      url.searchParams.set("with_tag", String(options.withTag ?? true));
      // Harbor leaves accessories (signatures, artifacts with a `subject`) out of the list and names them here.
      url.searchParams.set("with_accessory", String(options.withAccessory ?? true));
      url.searchParams.set("sort", options.sort ?? "-push_time");
      if (options.q !== undefined) url.searchParams.set("q", options.q);
      const res = await this.#get(url, what, PAGE_BYTES_LIMIT, options.signal);
      if (res.status !== 200) throw errorForStatus(res.status, what, res.errors);
      const artifacts = narrowArtifactPage(this.#json(res.text, what));
      yield* artifacts;
      // An empty page ends the listing even if a (buggy) server keeps linking onwards.
      page = artifacts.length === 0 ? undefined : nextPageFromLink(headerValue(res.headers, "link"), page);
    }
  }

  /**
   * True when the URL answers Harbor's `GET /api/v2.0/systeminfo` (or `/api/v2.0/ping`) as Harbor does; false
   * for any other well-formed answer (a plain registry's 404). Connection and TLS failures throw: "unreachable"
   * is not "not Harbor".
   */
  async isHarbor(options: CallOptions = {}): Promise<boolean> {
    const info = await this.#get(
      this.#apiUrl(`${API_BASE}/systeminfo`),
      "probe Harbor systeminfo",
      PROBE_BYTES_LIMIT,
      options.signal,
    );
    if (info.status === 200) return looksLikeSystemInfo(info.text);
    if (info.status >= 500) throw errorForStatus(info.status, "probe Harbor systeminfo", info.errors);
    const ping = await this.#get(
      this.#apiUrl(`${API_BASE}/ping`),
      "probe Harbor ping",
      PROBE_BYTES_LIMIT,
      options.signal,
    );
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

  /**
   * One GET with net's retry of transient failures (connection errors, timeouts, 5xx, 429, 408); the body is read
   * (bounded) before returning. The last attempt's transient status is returned for the caller to judge.
   */
  async #get(url: URL, what: string, limit: number, signal: AbortSignal | undefined): Promise<HarborResponse> {
    return withRetry(
      async (attempt) => {
        const res = await this.#getOnce(url, what, limit, signal).catch((err: unknown) => {
          throw classifyNetworkError(err, what, signal);
        });
        if (isTransientStatus(res.status) && attempt < this.#retry.maxAttempts)
          throw errorForStatus(res.status, what, res.errors);
        return res;
      },
      this.#retry,
      signal,
    );
  }

  async #getOnce(
    url: URL,
    what: string,
    limit: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<HarborResponse> {
    const signal = timeoutSignal(callerSignal, this.#timeoutMs);
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
    // An error body says little: read it with net's small bound, and an oversized one gives no entries.
    if (res.statusCode !== 200)
      return { status: res.statusCode, headers: res.headers, text: "", errors: await readErrorBody(res.body) };
    const body = await readBounded(
      res.body,
      limit,
      () => new HarborResponseShapeError(`failed to ${what}: response larger than ${limit} bytes`),
    );
    return { status: res.statusCode, headers: res.headers, text: body.toString("utf8"), errors: [] };
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
export async function isHarbor(
  registryUrl: string | URL,
  options: Omit<HarborClientOptions, "url"> & CallOptions = {},
): Promise<boolean> {
  const { signal, ...clientOptions } = options;
  const client = new HarborClient({ ...clientOptions, url: registryUrl });
  try {
    return await client.isHarbor({ signal });
  } finally {
    await client.close();
  }
}

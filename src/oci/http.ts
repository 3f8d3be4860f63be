/**
 * The request/response shapes every transport layer shares, and the bottom layer that sends over undici
 * (one keep-alive pool per origin, TLS with an extra CA bundle or an explicit opt-out).
 */
import { guardedConnector } from "../net/guarded-connector.ts";
import type { EndpointPolicy } from "../net/endpoint-policy.ts";
import { rootCertificates } from "node:tls";
import type { Readable } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import { classifyNetworkError } from "./errors.ts";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One HTTP exchange as the layers see it. */
export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  /** Bytes and strings can be resent (retry, re-auth); a stream cannot. */
  body?: Uint8Array | string | Readable | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
  /** Token scopes the request needs, e.g. `repository:team/app:pull,push`. */
  scopes?: readonly string[];
  /** False when resending after a connection failure could do harm (an upload PATCH); default true. */
  idempotent?: boolean;
}

export type ResponseBody = Dispatcher.ResponseData["body"];

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
  /** The URL that answered (after redirects). */
  url: URL;
}

/** One layer's view of everything below it. */
export type Send = (request: HttpRequest) => Promise<HttpResponse>;
/** A layer wraps the layers below it. */
export type Layer = (next: Send) => Send;

/** The last value of a response header. */
export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** True when the request body can be sent again. */
export function isReplayable(req: HttpRequest): boolean {
  return req.body === undefined || typeof req.body === "string" || req.body instanceof Uint8Array;
}

/** Drops a response body we do not need so the connection goes back to the pool. */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    await res.body.dump({ limit: 256 * 1024 });
  } catch {
    // The connection is gone either way.
  }
}

/** Reads at most `limit` bytes; returns undefined when the body is longer (the rest is dropped). */
export async function readBounded(body: Readable, limit: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

/** Connection settings of one registry client. */
export interface ConnectionOptions {
  /** Extra trusted CAs (PEM), added to Node's built-in roots. */
  caPem?: string;
  /** Skip certificate verification. Only for registries the user explicitly marked so. */
  insecureSkipTLSVerify?: boolean;
  /** Keep-alive connections per origin (default 8). */
  connections?: number;
  /** Which addresses may be connected to (the operator's SSRF policy); everything when absent. */
  endpointPolicy?: EndpointPolicy;
}

/** An undici Agent: one keep-alive pool per origin, sharing the TLS settings. */
export function createAgent(options: ConnectionOptions = {}): Agent {
  const tls = {
    ...(options.caPem ? { ca: [...rootCertificates, options.caPem] } : {}),
    ...(options.insecureSkipTLSVerify ? { rejectUnauthorized: false } : {}),
  };
  return new Agent({
    connections: options.connections ?? 8,
    keepAliveTimeout: 30_000,
    connect: options.endpointPolicy ? guardedConnector(options.endpointPolicy, tls) : tls,
  });
}

/** Time limits of each exchange: until the response headers, and between two body chunks. */
export interface Timeouts {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** The bottom layer: sends one request over undici, mapping connection failures to TransportError / TlsError. */
export function undiciSend(dispatcher: Dispatcher, timeouts: Timeouts): Send {
  return async (req) => {
    try {
      const res = await dispatcher.request({
        origin: req.url.origin,
        path: `${req.url.pathname}${req.url.search}`,
        method: req.method,
        headers: req.headers,
        // undici takes async iterables too (its typings leave them out).
        body: (req.body ?? null) as Dispatcher.RequestOptions["body"],
        signal: req.signal ?? null,
        headersTimeout: timeouts.headersTimeoutMs,
        bodyTimeout: timeouts.bodyTimeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body, url: req.url };
    } catch (err) {
      throw classifyNetworkError(err, `${req.method} ${req.url.host}${req.url.pathname}`);
    }
  };
}

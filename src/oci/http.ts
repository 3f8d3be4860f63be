/**
 * The request/response shapes every transport layer shares, and the bottom layer that sends over undici (the pool
 * and its TLS settings come from net/agents.ts).
 */
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { headerValue, type ResponseHeaders } from "../net/headers.ts";
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
  headers: ResponseHeaders;
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
  return headerValue(res.headers, name);
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

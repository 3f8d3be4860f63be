/**
 * The transport's middle layers, composed like oras-go's: auth → retry → redirect → logging → undici.
 * Each layer is a function from the layer below to a new `Send`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { backoffDelay, retryDelay, type RetryPolicy } from "../net/backoff.ts";
import { parseRetryAfter } from "../net/retry-after.ts";
import { isTransientNetworkError } from "./errors.ts";
import { discard, header, isReplayable, type HttpRequest, type HttpResponse, type Layer, type Send } from "./http.ts";

/** Told before each retry: what failed and how long the client waits. */
export interface RetryEvent {
  method: string;
  url: string;
  attempt: number;
  delayMs: number;
  status?: number;
  error?: string;
}

/** Told after every exchange on the wire (status 0 when no response came). */
export interface RequestEvent {
  method: string;
  url: string;
  status: number;
  durationMs: number;
  error?: string;
}

/** The minimal logger the transport writes to (a pino logger fits). */
export interface TransportLogger {
  debug(obj: object, msg: string): void;
}

const retryableStatus = new Set([408, 429, 500, 502, 503, 504]);

/** A connection failure may be resent when the body can be replayed and the request was not marked unsafe to repeat. */
function mayResendAfterError(req: HttpRequest, err: unknown): boolean {
  return isTransientNetworkError(err) && req.idempotent !== false && isReplayable(req) && !req.signal?.aborted;
}

/** A retryable answer may be resent; a non-idempotent request (an upload PATCH) only after "not now" answers. */
function mayResendAfterAnswer(req: HttpRequest, res: HttpResponse): boolean {
  if (!retryableStatus.has(res.status) || !isReplayable(req)) return false;
  return req.idempotent !== false || res.status === 429 || res.status === 503;
}

/**
 * Retries 5xx, 429 and 408 answers and connection failures by net's one rule (backoff.ts), waiting as long as a
 * `Retry-After` asks; never resends a stream body.
 */
export function retryLayer(policy: RetryPolicy, onRetry?: (e: RetryEvent) => void): Layer {
  return (next) => async (req) => {
    const pause = async (event: Omit<RetryEvent, "method" | "url">): Promise<void> => {
      onRetry?.({ method: req.method, url: redactUrl(req.url), ...event });
      await sleep(event.delayMs, undefined, { signal: req.signal });
    };
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= policy.maxAttempts;
      let res: HttpResponse;
      try {
        res = await next(req);
      } catch (err) {
        if (last || !mayResendAfterError(req, err)) throw err;
        await pause({
          attempt,
          delayMs: backoffDelay(policy, attempt),
          error: (err as { code?: string }).code ?? "NETWORK",
        });
        continue;
      }
      if (last || !mayResendAfterAnswer(req, res)) return res;
      const delayMs = retryDelay(policy, attempt, parseRetryAfter(header(res, "retry-after")));
      await discard(res);
      await pause({ attempt, delayMs, status: res.status });
    }
  };
}

const redirectStatus = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/**
 * Follows redirects of GET and HEAD (registries send blob downloads to storage with 307). `Authorization` is
 * dropped when the redirect leaves the origin: the storage host must not see registry credentials.
 */
export function redirectLayer(): Layer {
  return (next) => async (req) => {
    let current = req;
    for (let hop = 0; ; hop++) {
      const res = await next(current);
      const location = header(res, "location");
      if (
        !redirectStatus.has(res.status) ||
        location === undefined ||
        (current.method !== "GET" && current.method !== "HEAD")
      )
        return res;
      await discard(res);
      if (hop >= MAX_REDIRECTS)
        throw new Error(`${req.method} ${redactUrl(req.url)}: more than ${MAX_REDIRECTS} redirects`);
      const url = new URL(location, current.url);
      const headers = { ...current.headers };
      if (url.origin !== current.url.origin) delete headers.authorization;
      current = { ...current, url, headers };
    }
  };
}

const secretParams = /token|signature|credential|secret|password|key|_state/i;

/** A URL safe to log: no userinfo, and signed or stateful query values replaced. */
export function redactUrl(url: URL): string {
  const copy = new URL(url);
  copy.username = "";
  copy.password = "";
  for (const name of [...copy.searchParams.keys()]) {
    if (secretParams.test(name)) copy.searchParams.set(name, "REDACTED");
  }
  return copy.toString();
}

/** Reports every exchange to `onRequest` and the logger; headers (and so credentials) are never logged. */
export function loggingLayer(onRequest?: (e: RequestEvent) => void, logger?: TransportLogger): Layer {
  return (next) => async (req) => {
    const started = performance.now();
    const report = (status: number, error?: string): void => {
      const event: RequestEvent = {
        method: req.method,
        url: redactUrl(req.url),
        status,
        durationMs: performance.now() - started,
      };
      if (error !== undefined) event.error = error;
      onRequest?.(event);
      logger?.debug(event, "registry request");
    };
    try {
      const res = await next(req);
      report(res.status);
      return res;
    } catch (err) {
      report(0, (err as { code?: string }).code ?? "ERROR");
      throw err;
    }
  };
}

/** Stacks layers: the first one is the outermost. */
export function compose(bottom: Send, ...layers: Layer[]): Send {
  return layers.reduceRight<Send>((next, layer) => layer(next), bottom);
}

/**
 * The transport's middle layers, composed like oras-go's: auth → retry → redirect → logging → undici.
 * Each layer is a function from the layer below to a new `Send`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isTransientNetworkError } from "./errors.ts";
import { discard, header, isReplayable, type HttpRequest, type HttpResponse, type Layer, type Send } from "./http.ts";
import { parseRetryAfter } from "./retry-after.ts";

/** Backoff settings; delays double from `baseDelayMs` up to `maxDelayMs`, with jitter. */
export interface RetryPolicy {
  /** Attempts in all, the first one included (default 5). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest `Retry-After` honoured; longer asks are capped (default 60 s). */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

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

/** Capped exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function canResendAfterNetworkError(req: HttpRequest): boolean {
  return req.idempotent !== false && isReplayable(req);
}

/** Retries 5xx, 429 and 408 answers and connection failures; never resends a stream body. */
export function retryLayer(policy: RetryPolicy, onRetry?: (e: RetryEvent) => void): Layer {
  return (next) => async (req) => {
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse | undefined;
      try {
        res = await next(req);
      } catch (err) {
        if (attempt >= policy.maxAttempts || !isTransientNetworkError(err) || !canResendAfterNetworkError(req) || req.signal?.aborted) throw err;
        const delayMs = backoffDelay(policy, attempt);
        onRetry?.({ method: req.method, url: redactUrl(req.url), attempt, delayMs, error: (err as { code?: string }).code ?? "NETWORK" });
        await sleep(delayMs, undefined, { signal: req.signal });
        continue;
      }
      if (!retryableStatus.has(res.status) || attempt >= policy.maxAttempts || !isReplayable(req)) return res;
      // A non-idempotent request (an upload PATCH) may have been half-applied, except on "not now" answers.
      if (req.idempotent === false && res.status !== 429 && res.status !== 503) return res;
      const asked = parseRetryAfter(header(res, "retry-after"));
      const delayMs = asked !== undefined ? Math.min(asked, policy.maxRetryAfterMs) : backoffDelay(policy, attempt);
      await discard(res);
      onRetry?.({ method: req.method, url: redactUrl(req.url), attempt, delayMs, status: res.status });
      await sleep(delayMs, undefined, { signal: req.signal });
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
      if (!redirectStatus.has(res.status) || location === undefined || (current.method !== "GET" && current.method !== "HEAD")) return res;
      await discard(res);
      if (hop >= MAX_REDIRECTS) throw new Error(`${req.method} ${redactUrl(req.url)}: more than ${MAX_REDIRECTS} redirects`);
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
      const event: RequestEvent = { method: req.method, url: redactUrl(req.url), status, durationMs: performance.now() - started };
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

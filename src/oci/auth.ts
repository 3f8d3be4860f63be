/**
 * The auth layer: anonymous, Basic, and the bearer challenge flow
 * (https://distribution.github.io/distribution/spec/auth/token/, OAuth2 refresh tokens:
 * https://distribution.github.io/distribution/spec/auth/oauth/). Tokens are cached by registry + scope and
 * sent before the registry asks; a 401 (e.g. a token that expired mid-upload) fetches a fresh token and resends
 * once. Credentials never appear in errors or events.
 */
import { readBounded } from "../net/bounded-read.ts";
import { AuthError, RegistryError } from "./errors.ts";
import type { Credential, CredentialProvider } from "./docker-config.ts";
import { discard, header, isReplayable, type HttpRequest, type HttpResponse, type Layer, type Send } from "./http.ts";
import { parseWwwAuthenticate, type Challenge } from "./www-authenticate.ts";

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Options of the auth layer. */
export interface AuthOptions {
  credentials?: CredentialProvider;
  /** The transport below auth (retry, redirect, logging), used to reach the token realm. */
  tokenSend: Send;
  /** OAuth2 `client_id` sent with refresh-token requests. */
  clientId?: string;
  now?: () => number;
}

const TOKEN_BODY_LIMIT = 1024 * 1024;
const DEFAULT_TOKEN_SECONDS = 60;

function basicHeader(credential: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString("base64")}`;
}

function scopeKey(host: string, scopes: readonly string[]): string {
  return `${host} ${[...scopes].sort().join(" ")}`;
}

function tokenFromBody(body: unknown): { token: string; expiresIn: number } | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { token, access_token: accessToken, expires_in: expiresIn } = body as Record<string, unknown>;
  const value =
    typeof accessToken === "string" && accessToken
      ? accessToken
      : typeof token === "string" && token
        ? token
        : undefined;
  if (value === undefined) return undefined;
  return {
    token: value,
    expiresIn: typeof expiresIn === "number" && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_SECONDS,
  };
}

/** A token to get: for which host, challenge and scopes, with which credential, and whether a cached one will do. */
interface TokenWanted {
  host: string;
  challenge: Challenge;
  scopes: readonly string[];
  credential: Credential | undefined;
  fresh: boolean;
  signal: AbortSignal | undefined;
}

/** The OAuth2 refresh-token form (https://distribution.github.io/distribution/spec/auth/oauth/). */
function refreshForm(refreshToken: string, want: TokenWanted, clientId: string): string {
  const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId });
  const service = want.challenge.params.service;
  if (service) form.set("service", service);
  if (want.scopes.length > 0) form.set("scope", want.scopes.join(" "));
  return form.toString();
}

/** The token request: an OAuth2 refresh-token POST, or a GET to the realm (with Basic credentials when there are). */
function tokenRequest(want: TokenWanted, clientId: string): HttpRequest {
  const realm = want.challenge.params.realm;
  if (!realm) throw new AuthError("bearer challenge without a realm", 401);
  const url = new URL(realm);
  const { credential, signal } = want;
  if (credential?.kind === "refreshToken") {
    return {
      method: "POST",
      url,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: refreshForm(credential.refreshToken, want, clientId),
      signal,
    };
  }
  const service = want.challenge.params.service;
  if (service) url.searchParams.set("service", service);
  for (const scope of want.scopes) url.searchParams.append("scope", scope);
  return {
    method: "GET",
    url,
    headers: credential?.kind === "basic" ? { authorization: basicHeader(credential) } : {},
    signal,
  };
}

/** Stateful per client: remembers each host's challenge and the tokens it was given. */
export class Authenticator {
  readonly #options: AuthOptions;
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, CachedToken>();

  constructor(options: AuthOptions) {
    this.#options = options;
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  /** The layer: preemptive credentials, then one fresh attempt after a 401. */
  readonly layer: Layer = (next) => async (req) => {
    const host = req.url.host;
    const first = await this.#authorize(req, host, false);
    const res = await next(first);
    if (res.status !== 401) return res;
    const challenges = parseWwwAuthenticate(header(res, "www-authenticate") ?? "");
    const challenge = challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
    if (!challenge || !isReplayable(req)) return res;
    await discard(res);
    this.#challenges.set(host, challenge);
    const scopes = [...new Set([...(req.scopes ?? []), ...(challenge.params.scope?.split(" ").filter(Boolean) ?? [])])];
    return next(await this.#authorize({ ...req, scopes }, host, true));
  };

  async #authorize(req: HttpRequest, host: string, fresh: boolean): Promise<HttpRequest> {
    const challenge = this.#challenges.get(host);
    if (!challenge || req.headers.authorization !== undefined) return req;
    const credential = this.#options.credentials?.(host);
    if (challenge.scheme === "basic") {
      if (credential?.kind !== "basic") return req;
      return { ...req, headers: { ...req.headers, authorization: basicHeader(credential) } };
    }
    if (credential?.kind === "registryToken")
      return { ...req, headers: { ...req.headers, authorization: `Bearer ${credential.token}` } };
    const token = await this.#token({
      host,
      challenge,
      scopes: req.scopes ?? [],
      credential,
      fresh,
      signal: req.signal,
    });
    return { ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } };
  }

  async #token(want: TokenWanted): Promise<string> {
    const key = scopeKey(want.host, want.scopes);
    const cached = this.#tokens.get(key);
    if (!want.fresh && cached && cached.expiresAt > this.#now()) return cached.token;
    const req = tokenRequest(want, this.#options.clientId ?? "airlift");
    const { token, expiresIn } = await this.#readToken(await this.#options.tokenSend(req), req.url);
    // Refresh a little early so a token does not expire between the check and the registry's.
    const margin = Math.min(30_000, (expiresIn * 1000) / 5);
    this.#tokens.set(key, { token, expiresAt: this.#now() + expiresIn * 1000 - margin });
    return token;
  }

  async #readToken(res: HttpResponse, url: URL): Promise<{ token: string; expiresIn: number }> {
    const what = `token request to ${url.host}${url.pathname}`;
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw new AuthError(`${what}: credentials refused (${res.status})`, res.status);
    }
    if (res.status !== 200) {
      await discard(res);
      throw new RegistryError(`${what}: unexpected status ${res.status}`, res.status);
    }
    const body = await readBounded(res.body, TOKEN_BODY_LIMIT);
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body.toString("utf8")) : undefined;
    } catch {
      parsed = undefined;
    }
    const token = tokenFromBody(parsed);
    if (!token) throw new AuthError(`${what}: no token in the answer`, 401);
    return token;
  }
}

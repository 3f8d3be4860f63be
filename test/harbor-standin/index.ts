// A STAND-IN for Harbor's v2.0 API, for tests only: no Harbor can run here, so this small Node HTTP server sits in
// front of a REAL registry (the harness's anonymous or basic-tls CNCF distribution). Like Harbor, one host serves
// both APIs: `/v2/*` is proxied to the registry unchanged, and `/api/v2.0` answers the artifact listing from the
// registry's real tags and manifests in Harbor's documented shape (goharbor/harbor api/v2.0/swagger.yaml):
// `page`/`page_size` (max 100, default 10), `X-Total-Count`, `Link` rel prev/next, `with_tag`, `with_accessory`,
// `sort=-push_time`, repository names double-encoded in the path, basic auth for one robot account,
// `{errors:[{code,message}]}`. Accessories (cosign signatures, manifests with a `subject`) are left out of the
// listing and shown under their subject, as Harbor does (accessories.ts). Push times are recorded when a manifest
// PUT passes through the proxy, or set with `recordPush`. Simplifications: untagged artifacts are not listed, `q`
// is refused, and the token registry variant is not supported upstream.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { PushLedger, repositoryArtifacts } from "./artifact-view.ts";
import { RegistryReader, type UpstreamRegistry } from "./registry-reader.ts";

export interface HarborStandinOptions {
  /** The real registry behind the stand-in. */
  registry: UpstreamRegistry;
  /** When set, the `/api/v2.0` listing requires this robot's basic auth (`robot$name` or `robot$project+name`). */
  robot?: { name: string; password: string };
}

export interface HarborStandin {
  /** http://127.0.0.1:port */
  url: string;
  /** 127.0.0.1:port, for image references pushed through the stand-in. */
  host: string;
  /** Sets the push time of `repository:tag` (`repository` is the full name, `project/...`). */
  recordPush(repository: string, tag: string, time: Date | string): void;
  close(): Promise<void>;
}

const API = "/api/v2.0";
const MAX_PAGE_SIZE = 100;
const HOP_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "expect",
  "proxy-connection",
  "te",
  "trailer",
]);

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Harbor's error body. */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ code, message }] });
}

function authorized(req: IncomingMessage, robot: HarborStandinOptions["robot"]): boolean {
  if (!robot) return true;
  const expected = `Basic ${Buffer.from(`${robot.name}:${robot.password}`).toString("base64")}`;
  return req.headers.authorization === expected;
}

function intParam(params: URLSearchParams, name: string, fallback: number): number | undefined {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
}

function pageLink(rawPath: string, params: URLSearchParams, page: number, rel: string): string {
  const copy = new URLSearchParams(params);
  copy.set("page", String(page));
  return `<${rawPath}?${copy.toString()}>; rel="${rel}"`;
}

async function listArtifacts(
  ctx: StandinContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: { project: string; repository: string; rawPath: string; params: URLSearchParams },
): Promise<void> {
  if (!authorized(req, ctx.robot)) return sendError(res, 401, "UNAUTHORIZED", "unauthorized");
  const { project, repository, params } = route;
  const page = intParam(params, "page", 1);
  const pageSize = intParam(params, "page_size", 10);
  if (page === undefined || pageSize === undefined || pageSize > MAX_PAGE_SIZE)
    return sendError(res, 400, "BAD_REQUEST", "page and page_size must be integers >= 1, page_size <= 100");
  if (params.has("q")) return sendError(res, 400, "BAD_REQUEST", "the Harbor stand-in does not support q");
  const sort = params.get("sort") ?? "-push_time";
  if (sort !== "-push_time" && sort !== "push_time")
    return sendError(res, 400, "BAD_REQUEST", `the Harbor stand-in cannot sort by ${sort}`);
  const repositories = await ctx.reader.repositories();
  if (!repositories.some((r) => r.startsWith(`${project}/`)))
    return sendError(res, 404, "NOT_FOUND", `project ${project} not found`);
  const artifacts = await repositoryArtifacts(ctx.reader, ctx.ledger, project, repository, {
    withTag: params.get("with_tag") !== "false",
    withAccessory: params.get("with_accessory") === "true",
  });
  if (!artifacts) return sendError(res, 404, "NOT_FOUND", `repository ${project}/${repository} not found`);
  const sign = sort.startsWith("-") ? -1 : 1;
  artifacts.sort(
    (a, b) =>
      sign *
      (String(a.push_time) < String(b.push_time)
        ? -1
        : String(a.push_time) > String(b.push_time)
          ? 1
          : Number(a.id) - Number(b.id)),
  );
  const start = (page - 1) * pageSize;
  const links: string[] = [];
  if (page > 1) links.push(pageLink(route.rawPath, params, page - 1, "prev"));
  if (start + pageSize < artifacts.length) links.push(pageLink(route.rawPath, params, page + 1, "next"));
  const headers: Record<string, string> = { "x-total-count": String(artifacts.length) };
  if (links.length > 0) headers.link = links.join(" , ");
  sendJson(res, 200, artifacts.slice(start, start + pageSize), headers);
}

interface StandinContext {
  reader: RegistryReader;
  ledger: PushLedger;
  robot: HarborStandinOptions["robot"];
}

/** Routes `/api/v2.0/...`. The path is decoded once, as Go's server does, before matching: so `a%2Fb` splits. */
async function routeApi(ctx: StandinContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const decoded = decodeURIComponent(url.pathname);
  if (req.method !== "GET") return sendError(res, 405, "METHOD_NOT_ALLOWED", "the Harbor stand-in only answers GET");
  if (decoded === `${API}/systeminfo`) {
    return sendJson(res, 200, {
      auth_mode: "db_auth",
      primary_auth_mode: false,
      self_registration: false,
      harbor_version: "v2.11.0-standin",
      banner_message: "",
    });
  }
  if (decoded === `${API}/ping`) {
    res.writeHead(200, { "content-type": "text/plain" });
    return void res.end("Pong");
  }
  const match = /^\/api\/v2\.0\/projects\/([^/]+)\/repositories\/([^/]+)\/artifacts$/.exec(decoded);
  if (!match) return sendError(res, 404, "NOT_FOUND", "not found");
  // Harbor decodes the repository segment a second time: `a%252Fb` → `a%2Fb` (here) → `a/b`.
  const project = match[1] ?? "";
  const repository = decodeURIComponent(match[2] ?? "");
  return listArtifacts(ctx, req, res, { project, repository, rawPath: url.pathname, params: url.searchParams });
}

function endToEndHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_HEADERS.has(name)) out[name] = value;
  return out;
}

/** A successful `PUT /v2/<name>/manifests/<tag>` dates the tag, as Harbor's push event does. */
function recordManifestPut(ctx: StandinContext, method: string, path: string, status: number): void {
  const match = method === "PUT" ? /^\/v2\/(.+)\/manifests\/([^/?]+)/.exec(path) : null;
  const reference = decodeURIComponent(match?.[2] ?? "");
  if (match && status === 201 && !reference.includes(":")) ctx.ledger.record(match[1] ?? "", reference, new Date());
}

/** Forwards `/v2/*` to the registry, streaming both ways. */
async function proxy(ctx: StandinContext, req: IncomingMessage, res: ServerResponse, ownOrigin: string): Promise<void> {
  const method = (req.method ?? "GET") as "GET";
  const path = req.url ?? "/";
  const hasBody = !["GET", "HEAD", "DELETE"].includes(method);
  const upstream = await ctx.reader.dispatcher.request({
    origin: ctx.reader.origin,
    path,
    method,
    headers: endToEndHeaders(req.headers),
    body: hasBody ? req : null,
  });
  recordManifestPut(ctx, method, path, upstream.statusCode);
  const out = endToEndHeaders(upstream.headers);
  // The registry builds absolute upload locations from its own address: point them back at the stand-in.
  const location = out.location;
  if (typeof location === "string" && location.startsWith(ctx.reader.origin))
    out.location = ownOrigin + location.slice(ctx.reader.origin.length);
  res.writeHead(upstream.statusCode, out);
  await pipeline(upstream.body, res);
}

/** Starts the stand-in on a free loopback port. */
export async function startHarborStandin(options: HarborStandinOptions): Promise<HarborStandin> {
  const ctx: StandinContext = {
    reader: new RegistryReader(options.registry),
    ledger: new PushLedger(),
    robot: options.robot,
  };
  let ownOrigin = "";
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://standin.invalid");
    const handler =
      url.pathname.startsWith("/v2/") || url.pathname === "/v2"
        ? proxy(ctx, req, res, ownOrigin)
        : routeApi(ctx, req, res, url);
    handler.catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, "INTERNAL_SERVER_ERROR", `Harbor stand-in: ${(err as Error).message}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  ownOrigin = `http://${host}`;
  return {
    url: ownOrigin,
    host,
    recordPush(repository: string, tag: string, time: Date | string): void {
      ctx.ledger.record(repository, tag, new Date(time));
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await ctx.reader.close();
    },
  };
}

// Reads a real registry's content for the Harbor STAND-IN: catalog, tags, manifests. Test support only.
import { rootCertificates } from "node:tls";
import { Agent, type Dispatcher } from "undici";

/** The upstream registry the stand-in fronts (a test/env RegistryConnection fits). */
export interface UpstreamRegistry {
  /** http(s)://host:port */
  url: string;
  username?: string;
  password?: string;
  caPem?: string;
}

/** A manifest as the registry serves it. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

/** Reads from the upstream registry with its own credentials. */
export class RegistryReader {
  readonly dispatcher: Dispatcher;
  readonly origin: string;
  readonly #authorization: string | undefined;

  constructor(upstream: UpstreamRegistry) {
    this.origin = new URL(upstream.url).origin;
    this.dispatcher = new Agent({ connect: upstream.caPem ? { ca: [...rootCertificates, upstream.caPem] } : {} });
    this.#authorization = upstream.username
      ? `Basic ${Buffer.from(`${upstream.username}:${upstream.password ?? ""}`).toString("base64")}`
      : undefined;
  }

  async #get(
    path: string,
    accept = "application/json",
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const headers: Record<string, string> = { accept };
    if (this.#authorization) headers.authorization = this.#authorization;
    const res = await this.dispatcher.request({
      origin: this.origin,
      path,
      method: "GET",
      headers,
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
  }

  /** Every entry of a paginated list (`Link: <...>; rel="next"`), or undefined on 404. */
  async #paged(path: string, field: "repositories" | "tags"): Promise<string[] | undefined> {
    const out: string[] = [];
    let next: string | undefined = path;
    for (let page = 0; next !== undefined && page < 100; page++) {
      const res = await this.#get(next);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw new Error(`upstream ${next}: status ${res.status}`);
      out.push(...((JSON.parse(res.body.toString("utf8")) as Record<string, string[] | null>)[field] ?? []));
      const link = res.headers.link;
      next = typeof link === "string" ? /<([^>]+)>;\s*rel="?next"?/.exec(link)?.[1] : undefined;
    }
    return out;
  }

  /** Every repository name. */
  async repositories(): Promise<string[]> {
    return (await this.#paged("/v2/_catalog?n=1000", "repositories")) ?? [];
  }

  /** The tags of a repository, or undefined when the registry does not know it. */
  async tags(repository: string): Promise<string[] | undefined> {
    return this.#paged(`/v2/${repository}/tags/list?n=1000`, "tags");
  }

  /** One manifest by tag or digest. */
  async manifest(repository: string, reference: string): Promise<FetchedManifest | undefined> {
    const res = await this.#get(`/v2/${repository}/manifests/${reference}`, MANIFEST_ACCEPT);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`upstream manifest ${repository}:${reference}: status ${res.status}`);
    const digest = res.headers["docker-content-digest"];
    const contentType = res.headers["content-type"];
    return {
      digest: typeof digest === "string" ? digest : "",
      mediaType: typeof contentType === "string" ? contentType.split(";")[0]!.trim() : "",
      body: res.body,
    };
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

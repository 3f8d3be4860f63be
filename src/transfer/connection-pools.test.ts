// One engine call, one registry connection pool: ArtifactPull's session resolves and pulls over one client (the
// Harbor API beside it is the only other pool, and only for tag policies), and OciSync's source stage resolves,
// pulls and reuses its digest folder over one. Pools are counted as the undici Agents that sent a request, against
// a small in-process registry (and Harbor API) serving one ORAS-style artifact.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent } from "undici";
import { openArtifactSource } from "./artifact-source.ts";
import { fetchSyncSource } from "./sync-source.ts";

const sha = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const config = Buffer.from(JSON.stringify({ created: "2024-01-01T00:00:00Z" }));
const layer = Buffer.from("hello\n");
const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
    layers: [
      {
        mediaType: "application/vnd.oci.image.layer.v1.tar",
        digest: sha(layer),
        size: layer.length,
        annotations: { "org.opencontainers.image.title": "hello.txt" },
      },
    ],
  }),
);
const digest = sha(manifest);
const blobs = new Map([
  [sha(config), config],
  [sha(layer), layer],
]);
const harborArtifacts = [
  {
    id: 1,
    size: 1,
    digest,
    manifest_media_type: "application/vnd.oci.image.manifest.v1+json",
    media_type: "application/vnd.oci.image.config.v1+json",
    push_time: "2024-01-01T00:00:00Z",
    tags: [{ name: "1.0.0", push_time: "2024-01-01T00:00:00Z" }],
  },
];

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function content(req: IncomingMessage, res: ServerResponse, bytes: Buffer, headers: Record<string, string>): void {
  res.writeHead(200, { ...headers, "content-length": String(bytes.length) });
  res.end(req.method === "HEAD" ? undefined : bytes);
}

/** The registry's answer for repository p/r, or false when the path is not the registry's. */
function registryAnswer(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const blob = blobs.get(/^\/v2\/p\/r\/blobs\/(.+)$/.exec(path)?.[1] ?? "");
  if (path === "/v2/") json(res, 200, {});
  else if (path === "/v2/p/r/manifests/1.0.0" || path === `/v2/p/r/manifests/${digest}`)
    content(req, res, manifest, {
      "content-type": "application/vnd.oci.image.manifest.v1+json",
      "docker-content-digest": digest,
    });
  else if (blob) content(req, res, blob, { "docker-content-digest": sha(blob) });
  else if (path === "/v2/p/r/tags/list") json(res, 200, { name: "p/r", tags: ["1.0.0"] });
  else return false;
  return true;
}

/** The registry (and, with `harbor`, Harbor's API) for repository p/r; records GETs of manifests and blobs. */
function serve(harbor: boolean, gets: string[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "GET" && /\/(manifests|blobs)\//.test(path)) gets.push(path);
    if (registryAnswer(req, res, path)) return;
    if (harbor && path === "/api/v2.0/systeminfo") json(res, 200, { auth_mode: "db_auth" });
    else if (harbor && path === "/api/v2.0/projects/p/repositories/r/artifacts") json(res, 200, harborArtifacts);
    else json(res, 404, { errors: [{ code: "NOT_FOUND", message: "not found" }] });
  };
}

/** Counts the undici Agents (one connection pool each) that send a request while `body` runs. */
async function poolsUsedBy(body: () => Promise<void>): Promise<number> {
  const used = new Set<unknown>();
  const proto = Agent.prototype as unknown as { dispatch: (...args: unknown[]) => boolean };
  const dispatch = proto.dispatch;
  proto.dispatch = function (this: unknown, ...args: unknown[]): boolean {
    used.add(this);
    return dispatch.apply(this, args);
  };
  try {
    await body();
  } finally {
    proto.dispatch = dispatch;
  }
  return used.size;
}

for (const harbor of [false, true]) {
  describe(`one connection pool per engine call (${harbor ? "Harbor" : "plain registry"})`, () => {
    const gets: string[] = [];
    const server = createServer(serve(harbor, gets));
    let registry = "";
    before(async () => {
      await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
      registry = `127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    async function resolveAndPull(query: {
      tag?: string;
    }): Promise<{ tagSource: string | undefined; files: string[] }> {
      const work = mkdtempSync(join(tmpdir(), "airlift-pools-"));
      const source = openArtifactSource({ registry, project: "p", repository: "r", connection: { plainHttp: true } });
      try {
        const resolved = await source.resolve({ ...query, excludeSignatures: true });
        assert.equal(resolved.digest, digest);
        const pulled = await source.pull(
          resolved.digest,
          { kind: "directory", path: join(work, "out") },
          { extract: true, workDir: work },
        );
        return { tagSource: resolved.tagSource, files: pulled.files.map((f) => f.path) };
      } finally {
        await source.close();
        rmSync(work, { recursive: true, force: true });
      }
    }

    it("ArtifactPull: a tag resolves and pulls over one pool", async () => {
      let result: Awaited<ReturnType<typeof resolveAndPull>> | undefined;
      assert.equal(await poolsUsedBy(async () => void (result = await resolveAndPull({ tag: "1.0.0" }))), 1);
      assert.deepEqual(result?.files, ["hello.txt"]);
    });

    it("ArtifactPull: a tag policy adds one pool, Harbor's API client (its probe decides: Harbor's listing or image configs)", async () => {
      let result: Awaited<ReturnType<typeof resolveAndPull>> | undefined;
      assert.equal(await poolsUsedBy(async () => void (result = await resolveAndPull({}))), 2);
      assert.equal(result?.tagSource, harbor ? "HarborAPI" : "ImageConfig");
    });

    it("OciSync: resolve, pull and extract over one pool; an unchanged digest reuses its folder with no GET", async () => {
      const parent = mkdtempSync(join(tmpdir(), "airlift-pools-"));
      after(() => rmSync(parent, { recursive: true, force: true }));
      const folder = join(parent, "ocisync");
      const request = {
        image: `${registry}/p/r:1.0.0`,
        connection: { plainHttp: true },
        platform: "linux/amd64",
        folder,
        signal: new AbortController().signal,
      };
      let root = "";
      assert.equal(await poolsUsedBy(async () => void (root = (await fetchSyncSource(request)).root)), 1);
      assert.equal(readFileSync(join(root, "hello.txt"), "utf8"), "hello\n");
      gets.length = 0;
      const again = await fetchSyncSource({ ...request, semverRange: "^1" });
      assert.deepEqual([again.pulled, again.tag, again.root, gets], [false, "1.0.0", root, []]);
      assert.ok(existsSync(root));
    });
  });
}

// The OCI client against the three real registry variants (anonymous HTTP, basic auth over TLS, bearer tokens):
// blobs, chunked uploads, mounts, manifests of each media type, tags with pagination, referrers, content made by
// the real crane and oras.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { run, testEnv, type RegistryConnection, type RegistryVariant } from "../env/index.ts";
import {
  DigestMismatchError,
  NotFoundError,
  RegistryClient,
  Repository,
  basicCredentials,
  dockerConfigCredentials,
  type ClientOptions,
  type RequestEvent,
} from "../../src/oci/index.ts";
import type { Descriptor } from "../../src/ocispec/descriptor.ts";
import { toDigest } from "../../src/ocispec/digest.ts";
import {
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER,
  OCI_MANIFEST,
} from "../../src/ocispec/media-types.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-oci-"));
const runId = randomBytes(3).toString("hex");

function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function clientOptions(reg: RegistryConnection, extra: Partial<ClientOptions> = {}): ClientOptions {
  const base: ClientOptions = { registry: reg.host, retry: { baseDelayMs: 20, maxDelayMs: 200 }, ...extra };
  if (reg.variant === "anonymous") return { ...base, plainHttp: true };
  if (reg.variant === "basic-tls")
    return {
      ...base,
      caPem: reg.caPem ?? "",
      credentials: basicCredentials(reg.host, reg.username ?? "", reg.password ?? ""),
    };
  // The token variant: credentials from a docker config JSON, as a kubernetes.io/dockerconfigjson Secret holds them.
  const auth = Buffer.from(`${reg.username}:${reg.password}`).toString("base64");
  return {
    ...base,
    plainHttp: true,
    credentials: dockerConfigCredentials(JSON.stringify({ auths: { [reg.host]: { auth } } })),
  };
}

function toolEnv(reg: RegistryConnection): { env: NodeJS.ProcessEnv; flags: string[] } {
  const dir = mkdtempSync(join(scratch, "docker-"));
  const auths = reg.username
    ? { [reg.host]: { auth: Buffer.from(`${reg.username}:${reg.password}`).toString("base64") } }
    : {};
  writeFileSync(join(dir, "config.json"), JSON.stringify({ auths }));
  return {
    env: { DOCKER_CONFIG: dir, SSL_CERT_FILE: reg.caFile ?? "" },
    flags: reg.variant === "basic-tls" ? [] : ["--insecure"],
  };
}

async function pushBytes(repo: Repository, data: Buffer, mediaType: string): Promise<Descriptor> {
  return repo
    .blobs()
    .push({ mediaType, digest: toDigest(sha256(data)), size: data.length }, () => Readable.from([data]));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Pushes a one-layer OCI image and returns its manifest descriptor. */
async function pushImage(
  repo: Repository,
  tag: string,
  content: string,
  mediaTypes = { manifest: OCI_MANIFEST, config: OCI_CONFIG, layer: OCI_LAYER },
): Promise<Descriptor> {
  const config = await pushBytes(
    repo,
    Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } })),
    mediaTypes.config,
  );
  const layer = await pushBytes(repo, Buffer.from(content), mediaTypes.layer);
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.manifest, config, layers: [layer] }),
  );
  return repo.manifests().push(tag, manifest, mediaTypes.manifest);
}

const variants: RegistryVariant[] = ["anonymous", "basic-tls", "token"];

for (const variant of variants) {
  describe(`OCI client against the ${variant} registry`, () => {
    const repoName = (what: string): string => `oci-${runId}/${variant.replace("-", "")}/${what}`;

    it("pings, pushes a small blob monolithically, finds it and reads it back verified", async () => {
      const { registries } = await testEnv();
      const events: RequestEvent[] = [];
      const client = new RegistryClient(clientOptions(registries[variant], { onRequest: (e) => events.push(e) }));
      try {
        const repo = new Repository(client, repoName("small"));
        await repo.ping();
        const data = randomBytes(10_000);
        const digest = toDigest(sha256(data));
        assert.equal(await repo.blobs().exists(digest), undefined);
        const desc = await pushBytes(repo, data, "application/octet-stream");
        assert.deepEqual({ digest: desc.digest, size: desc.size }, { digest, size: data.length });
        assert.equal(events.filter((e) => e.method === "PATCH").length, 0, "a small blob needs no PATCH");
        assert.equal((await repo.blobs().exists(digest))?.size, data.length);
        assert.deepEqual(await readAll(await repo.blobs().fetch(desc)), data);
        // The hook sees every exchange, with URLs free of credentials.
        assert.ok(events.length >= 5);
        for (const e of events) assert.ok(!e.url.includes(registries[variant].password ?? "\0"));
      } finally {
        await client.close();
      }
    });

    it("uploads a few MiB in small chunks, computing the digest it did not know, with monotonic progress", async () => {
      const { registries } = await testEnv();
      const events: RequestEvent[] = [];
      const client = new RegistryClient(clientOptions(registries[variant], { onRequest: (e) => events.push(e) }));
      try {
        const repo = new Repository(client, repoName("chunked"));
        const data = randomBytes(3 * 1024 * 1024 + 123);
        const progress: number[] = [];
        // Emit the source in odd-sized pieces so chunk boundaries never line up with them.
        const source = (): Readable =>
          Readable.from(
            (function* () {
              for (let i = 0; i < data.length; i += 100_003) yield data.subarray(i, i + 100_003);
            })(),
          );
        const desc = await repo
          .blobs()
          .push({ mediaType: OCI_LAYER }, source, { chunkSize: 512 * 1024, onProgress: (n) => progress.push(n) });
        assert.equal(desc.digest, sha256(data));
        assert.equal(desc.size, data.length);
        assert.equal(events.filter((e) => e.method === "PATCH" && e.status === 202).length, 7);
        assert.deepEqual(
          progress,
          [...progress].sort((a, b) => a - b),
        );
        assert.equal(progress.at(-1), data.length);
        assert.deepEqual(await readAll(await repo.blobs().fetch(desc)), data);
      } finally {
        await client.close();
      }
    });

    it("mounts a blob from another repository, and reports a mount the registry turned into an upload", async () => {
      const { registries } = await testEnv();
      const client = new RegistryClient(clientOptions(registries[variant]));
      try {
        const from = new Repository(client, repoName("mount-from"));
        const to = new Repository(client, repoName("mount-to"));
        const data = randomBytes(5000);
        const desc = await pushBytes(from, data, OCI_LAYER);
        assert.equal(await to.blobs().exists(desc.digest), undefined);
        assert.equal(await to.blobs().mount(desc.digest, from.name), true);
        assert.equal((await to.blobs().exists(desc.digest))?.size, data.length);
        // A blob the source repository lacks: the registry opens an upload (202), which we can fill.
        const other = randomBytes(3000);
        const otherDigest = toDigest(sha256(other));
        const mounted = await to.blobs().mount(otherDigest, repoName("mount-nowhere"), {
          fallback: { source: () => Readable.from([other]), descriptor: { size: other.length } },
        });
        assert.equal(mounted, false);
        assert.equal((await to.blobs().exists(otherDigest))?.size, other.length);
      } finally {
        await client.close();
      }
    });

    it("pushes, resolves and fetches OCI and Docker manifests and an index of them", async () => {
      const { registries } = await testEnv();
      const client = new RegistryClient(clientOptions(registries[variant]));
      try {
        const repo = new Repository(client, repoName("manifests"));
        const oci = await pushImage(repo, "oci", "oci layer");
        const docker = await pushImage(repo, "docker", "docker layer", {
          manifest: DOCKER_MANIFEST,
          config: DOCKER_CONFIG,
          layer: DOCKER_LAYER_GZIP,
        });
        for (const [tag, desc] of [
          ["oci", oci],
          ["docker", docker],
        ] as const) {
          const resolved = await repo.manifests().resolve(tag);
          assert.deepEqual(resolved, desc);
          const fetched = await repo.manifests().fetch(tag);
          assert.equal(fetched.descriptor.digest, desc.digest);
          assert.equal(fetched.manifest.kind, "manifest");
          assert.equal(fetched.manifest.mediaType, desc.mediaType);
        }
        const platforms = [
          { ...oci, platform: { os: "linux", architecture: "amd64" } },
          { ...docker, platform: { os: "linux", architecture: "arm64" } },
        ];
        for (const mediaType of [OCI_INDEX, DOCKER_MANIFEST_LIST]) {
          const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: platforms }));
          const index = await repo.manifests().push(mediaType === OCI_INDEX ? "index" : "list", bytes, mediaType);
          const byDigest = await repo.manifests().fetch(index.digest);
          assert.equal(byDigest.manifest.kind, "index");
          assert.deepEqual(
            byDigest.manifest.kind === "index" ? byDigest.manifest.manifests.map((m) => m.platform?.architecture) : [],
            ["amd64", "arm64"],
          );
          assert.deepEqual(await repo.manifests().exists(index.digest), index);
        }
        await assert.rejects(
          repo.manifests().fetch("missing"),
          (err: unknown) => err instanceof NotFoundError && err.code === "MANIFEST_UNKNOWN",
        );
      } finally {
        await client.close();
      }
    });

    // Distribution 2.8 ignores `n` and answers one unsorted page; paging through `Link` is tested in oci-faults.
    it("lists every tag (asking for pages of two)", async () => {
      const { registries } = await testEnv();
      const events: RequestEvent[] = [];
      const client = new RegistryClient(clientOptions(registries[variant], { onRequest: (e) => events.push(e) }));
      try {
        const repo = new Repository(client, repoName("tags"));
        const desc = await pushImage(repo, "t0", "tags");
        const { bytes } = await repo.manifests().fetchContent(desc);
        for (const tag of ["t1", "t2", "t3", "t4"]) await repo.manifests().push(tag, bytes, desc.mediaType);
        events.length = 0;
        assert.deepEqual((await repo.tags().list({ pageSize: 2 })).sort(), ["t0", "t1", "t2", "t3", "t4"]);
        assert.ok(events.some((e) => e.url.includes("/tags/list?n=2") && e.status === 200));
      } finally {
        await client.close();
      }
    });

    it("refuses bytes that do not match the descriptor's size", async () => {
      const { registries } = await testEnv();
      const client = new RegistryClient(clientOptions(registries[variant]));
      try {
        const repo = new Repository(client, repoName("mismatch"));
        const data = randomBytes(4096);
        const desc = await pushBytes(repo, data, OCI_LAYER);
        await assert.rejects(
          readAll(await repo.blobs().fetch({ ...desc, size: 4000 })),
          (err: unknown) => err instanceof DigestMismatchError && err.code === "DIGEST_MISMATCH",
        );
        await assert.rejects(readAll(await repo.blobs().fetch({ ...desc, size: 5000 })), DigestMismatchError);
        // A manifest fetched by a digest must hash to it.
        await assert.rejects(
          repo.manifests().push(sha256(Buffer.from("other")), Buffer.from("{}"), OCI_MANIFEST),
          DigestMismatchError,
        );
      } finally {
        await client.close();
      }
    });
  });
}

describe("OCI client with content made by the real tools", () => {
  it("reads an image crane pushed, blob by blob, and sees a referrer oras attached (tag-schema fallback)", async () => {
    const { registries } = await testEnv();
    const reg = registries["basic-tls"];
    const { env, flags } = toolEnv(reg);
    const dir = mkdtempSync(join(scratch, "crane-"));
    writeFileSync(join(dir, "hello.txt"), "hello from crane\n");
    await run("tar", ["-C", dir, "-cf", join(dir, "layer.tar"), "hello.txt"]);
    const name = `oci-${runId}/tools/hello`;
    await run("crane", ["append", ...flags, "-f", join(dir, "layer.tar"), "-t", `${reg.host}/${name}:v1`], { env });
    await run(
      "crane",
      ["index", "append", ...flags, "-m", `${reg.host}/${name}:v1`, "-t", `${reg.host}/${name}:index`],
      { env },
    );
    writeFileSync(join(dir, "sbom.json"), '{"sbom":true}');
    await run(
      "oras",
      ["attach", "--artifact-type", "application/vnd.example.sbom", `${reg.host}/${name}:v1`, "sbom.json"],
      { env, cwd: dir },
    );
    const client = new RegistryClient(clientOptions(reg));
    try {
      const repo = new Repository(client, name);
      const image = await repo.manifests().fetch("v1");
      assert.equal(image.manifest.kind, "manifest");
      const craneDigest = (await run("crane", ["digest", ...flags, `${reg.host}/${name}:v1`], { env })).stdout.trim();
      assert.equal(image.descriptor.digest, craneDigest);
      for (const child of image.manifest.kind === "manifest" ? [image.manifest.config, ...image.manifest.layers] : []) {
        const bytes = await readAll(await repo.blobs().fetch(child));
        assert.equal(sha256(bytes), child.digest);
      }
      const index = await repo.manifests().fetch("index");
      assert.equal(index.manifest.kind, "index");
      assert.ok(index.manifest.kind === "index" && index.manifest.manifests.some((m) => m.digest === craneDigest));
      const referrers = await repo.referrers(craneDigest);
      assert.equal(referrers.length, 1);
      assert.equal(referrers[0]?.artifactType, "application/vnd.example.sbom");
      assert.deepEqual(await repo.referrers(craneDigest, { artifactType: "application/other" }), []);
    } finally {
      await client.close();
    }
  });
});

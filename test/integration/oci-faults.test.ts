// The OCI client under faults, against real registries behind tiny Node proxies that inject them: 503/429 with
// Retry-After, a 401 in the middle of an upload, cut connections during uploads and downloads, flipped bytes,
// a redirect to another origin, expired tokens, and TLS without the CA.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import {
  request as httpRequest,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createConnection, createServer as createTcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { startRegistry, testEnv, type RegistryEnv } from "../env/index.ts";
import {
  DigestMismatchError,
  RegistryClient,
  RegistryError,
  Repository,
  TlsError,
  basicCredentials,
  type ClientOptions,
  type RequestEvent,
  type RetryEvent,
} from "../../src/oci/index.ts";
import type { Descriptor } from "../../src/ocispec/descriptor.ts";
import { toDigest, type Digest } from "../../src/ocispec/digest.ts";
import { OCI_LAYER, OCI_MANIFEST } from "../../src/ocispec/media-types.ts";

const runId = randomBytes(3).toString("hex");
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return typeof address === "object" && address ? address.port : 0;
}

type Forward = (
  mapBody?: (body: Buffer, res: IncomingMessage) => { body: Buffer; headers?: Record<string, string> },
) => void;
type Handler = (req: IncomingMessage, res: ServerResponse, forward: Forward) => void;

/** An HTTP proxy to `target` (host:port, plain HTTP) whose handler may answer itself or forward. */
async function httpProxy(target: string, handler: Handler): Promise<string> {
  const [host, port] = target.split(":");
  const server = createServer((req, res) => {
    const forward: Forward = (mapBody) => {
      const upstream = httpRequest(
        { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
        (up) => {
          if (!mapBody) {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
            return;
          }
          const parts: Buffer[] = [];
          up.on("data", (c: Buffer) => parts.push(c));
          up.on("end", () => {
            const mapped = mapBody(Buffer.concat(parts), up);
            res
              .writeHead(up.statusCode ?? 502, {
                ...up.headers,
                ...mapped.headers,
                "content-length": String(mapped.body.length),
              })
              .end(mapped.body);
          });
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    };
    handler(req, res, forward);
  });
  server.keepAliveTimeout = 1000;
  return `127.0.0.1:${await listen(server)}`;
}

interface TcpFaults {
  /** Decide per client→server data chunk: pass it, or cut both connections without forwarding it. */
  onClientData?: (chunk: Buffer) => "pass" | "cut";
  /** Cut the connection once this many server→client bytes passed, counted over all connections. */
  cutServerBytesAt?: number;
}

/** A TCP proxy that can cut connections; counts the connections it cut. */
async function tcpProxy(target: string, faults: TcpFaults): Promise<{ host: string; cuts: () => number }> {
  const [host, port] = target.split(":");
  let cuts = 0;
  let serverBytes = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = createConnection({ host: host ?? "127.0.0.1", port: Number(port) });
    sockets.add(client).add(upstream);
    const cut = (): void => {
      cuts++;
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => (faults.onClientData?.(chunk) === "cut" ? cut() : upstream.write(chunk)));
    upstream.on("data", (chunk: Buffer) => {
      const limit = faults.cutServerBytesAt;
      if (limit !== undefined && serverBytes < limit && serverBytes + chunk.length >= limit) {
        client.write(chunk.subarray(0, limit - serverBytes));
        serverBytes = limit;
        cut();
        return;
      }
      serverBytes += chunk.length;
      client.write(chunk);
    });
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  closers.push(async () => {
    for (const s of sockets) s.destroy();
  });
  return { host: `127.0.0.1:${await listen(server)}`, cuts: () => cuts };
}

function options(host: string, extra: Partial<ClientOptions> = {}): ClientOptions {
  return { registry: host, plainHttp: true, retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 4 }, ...extra };
}

async function pushBytes(repo: Repository, data: Buffer): Promise<Descriptor> {
  return repo
    .blobs()
    .push({ mediaType: OCI_LAYER, digest: toDigest(sha256(data)), size: data.length }, () => Readable.from([data]));
}

const pieces =
  (data: Buffer, size = 65_536): (() => Readable) =>
  () =>
    Readable.from(
      (function* () {
        for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
      })(),
    );

describe("OCI client under injected faults", () => {
  it("retries 503 and 429, waiting as Retry-After asks (seconds and HTTP date)", async () => {
    const { registries } = await testEnv();
    let manifestHeads = 0;
    const proxy = await httpProxy(registries.anonymous.host, (req, res, forward) => {
      if (req.method === "HEAD" && req.url?.includes("/manifests/")) {
        manifestHeads++;
        if (manifestHeads === 1) return void res.writeHead(503, { "retry-after": "1" }).end();
        if (manifestHeads === 2)
          return void res.writeHead(429, { "retry-after": new Date(Date.now() + 2000).toUTCString() }).end();
      }
      forward();
    });
    const retries: RetryEvent[] = [];
    const events: RequestEvent[] = [];
    const client = new RegistryClient(
      options(proxy, { onRetry: (e) => retries.push(e), onRequest: (e) => events.push(e) }),
    );
    try {
      const repo = new Repository(client, `oci-${runId}/faults/retry`);
      const config = await pushBytes(repo, Buffer.from("{}"));
      const desc = await repo
        .manifests()
        .push(
          "v1",
          Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [] })),
          OCI_MANIFEST,
        );
      assert.deepEqual(await repo.manifests().resolve("v1"), desc);
      assert.deepEqual(
        retries.map((r) => r.status),
        [503, 429],
      );
      assert.equal(retries[0]?.delayMs, 1000);
      assert.ok(
        (retries[1]?.delayMs ?? 0) > 0 && (retries[1]?.delayMs ?? 0) <= 2000,
        `HTTP-date delay ${retries[1]?.delayMs}`,
      );
      assert.deepEqual(
        events.filter((e) => e.method === "HEAD").map((e) => e.status),
        [503, 429, 200],
      );
    } finally {
      await client.close();
    }
  });

  it("gives up after the attempts it is allowed, with a transient RegistryError", async () => {
    const { registries } = await testEnv();
    const proxy = await httpProxy(registries.anonymous.host, (_req, res) => void res.writeHead(502).end());
    const events: RequestEvent[] = [];
    const client = new RegistryClient(options(proxy, { onRequest: (e) => events.push(e) }));
    try {
      const repo = new Repository(client, `oci-${runId}/faults/down`);
      await assert.rejects(
        repo.manifests().resolve("v1"),
        (err: unknown) =>
          err instanceof RegistryError && err.status === 502 && err.transient && err.code === "HTTP_502",
      );
      assert.equal(events.length, 4);
    } finally {
      await client.close();
    }
  });

  // The three ways an upload holds its bytes (upload.ts): each survives a connection cut inside a request body.
  for (const mode of ["in memory", "streamed", "streamed, size unknown"] as const) {
    it(`finishes an upload whose connection is cut in the middle of a request body (${mode})`, async () => {
      const { registries } = await testEnv();
      let sent = 0;
      let cutDone = false;
      const proxy = await tcpProxy(registries.anonymous.host, {
        onClientData: (chunk) => {
          sent += chunk.length;
          if (!cutDone && sent > 700_000) {
            cutDone = true;
            return "cut";
          }
          return "pass";
        },
      });
      const events: RequestEvent[] = [];
      const client = new RegistryClient(options(proxy.host, { onRequest: (e) => events.push(e) }));
      try {
        const repo = new Repository(client, `oci-${runId}/faults/cut-upload-${mode.replace(/\W+/g, "-")}`);
        const data = randomBytes(2 * 1024 * 1024);
        const progress: number[] = [];
        const opened: number[] = [];
        const source = (offset: number): Readable => {
          opened.push(offset);
          return pieces(data.subarray(offset))();
        };
        const expected = mode === "streamed, size unknown" ? {} : { digest: toDigest(sha256(data)), size: data.length };
        const desc = await repo.blobs().push(expected, source, {
          chunkSize: 256 * 1024,
          reopenable: mode !== "in memory",
          onProgress: (n) => progress.push(n),
        });
        assert.equal(proxy.cuts(), 1);
        assert.ok(
          events.some((e) => e.method === "PATCH" && e.status === 0),
          "a PATCH failed on the wire",
        );
        assert.ok(opened.length >= (mode === "in memory" ? 1 : 2), `source opened at ${opened.join(", ")}`);
        // Distribution 2.8 cancels a session whose stored size no longer matches its `_state` offset, so a cut
        // inside a body means a restart (a second POST); registries that keep the session are resumed instead.
        process.stderr.write(
          `# cut upload (${mode}): ${events.filter((e) => e.method === "POST").length} POST(s), ${events.filter((e) => e.method === "GET").length} status GET(s)\n`,
        );
        assert.deepEqual(
          progress,
          [...progress].sort((a, b) => a - b),
          "progress never goes backwards",
        );
        assert.equal(desc.digest, sha256(data));
        assert.equal(desc.size, data.length);
        assert.deepEqual(await readAll(await repo.blobs().fetch(desc)), data);
      } finally {
        await client.close();
      }
    });
  }

  // In memory the lost chunk is resent from memory; streamed, the source is reopened at the cut segment's start.
  for (const streamed of [false, true]) {
    it(`resumes from the committed range when a PATCH is lost before reaching the registry (${streamed ? "streamed" : "in memory"})`, async () => {
      const { registries } = await testEnv();
      let patches = 0;
      const proxy = await tcpProxy(registries.anonymous.host, {
        onClientData: (chunk) =>
          chunk.subarray(0, 6).toString("latin1") === "PATCH " && ++patches === 3 ? "cut" : "pass",
      });
      const events: RequestEvent[] = [];
      const client = new RegistryClient(options(proxy.host, { onRequest: (e) => events.push(e) }));
      try {
        const repo = new Repository(client, `oci-${runId}/faults/resume-${streamed ? "streamed" : "memory"}`);
        const data = randomBytes(1024 * 1024 + 7);
        const opened: number[] = [];
        const source = (offset: number): Readable => {
          opened.push(offset);
          return pieces(data.subarray(offset))();
        };
        const expected = streamed ? { size: data.length, digest: sha256(data) as Digest } : { size: data.length };
        const desc = await repo.blobs().push(expected, source, { chunkSize: 256 * 1024, reopenable: streamed });
        assert.equal(proxy.cuts(), 1);
        assert.equal(events.filter((e) => e.method === "POST").length, 1, "the session survived: no restart");
        assert.ok(
          events.some((e) => e.method === "GET" && e.url.includes("/blobs/uploads/") && e.status === 204),
          "asked the registry for the committed range",
        );
        assert.deepEqual(
          opened,
          streamed ? [0, 512 * 1024] : [0],
          "streamed: reopened at the start of the cut segment, not at 0",
        );
        assert.equal(desc.digest, sha256(data));
        assert.deepEqual(await readAll(await repo.blobs().fetch(desc)), data);
      } finally {
        await client.close();
      }
    });
  }

  it("a streamed source whose bytes do not match the digest fails with DigestMismatchError and commits nothing", async () => {
    const { registries } = await testEnv();
    const client = new RegistryClient(options(registries.anonymous.host));
    try {
      const repo = new Repository(client, `oci-${runId}/faults/streamed-liar`);
      const claimed = randomBytes(600 * 1024);
      const actual = Buffer.from(claimed);
      actual[1000] = (actual[1000] ?? 0) ^ 0xff;
      for (const chunkSize of [1024 * 1024, 256 * 1024]) {
        await assert.rejects(
          repo
            .blobs()
            .push(
              { size: claimed.length, digest: sha256(claimed) as Digest },
              (offset) => pieces(actual.subarray(offset))(),
              { chunkSize, reopenable: true },
            ),
          (err: Error) => err instanceof DigestMismatchError && /does not match/.test(err.message),
        );
        assert.equal(await repo.blobs().exists(sha256(claimed)), undefined);
        await assert.rejects(
          repo
            .blobs()
            .push(
              { size: claimed.length + 10, digest: sha256(claimed) as Digest },
              (offset) => pieces(claimed.subarray(offset))(),
              { chunkSize, reopenable: true },
            ),
          (err: Error) => err instanceof DigestMismatchError && /gave 614400 bytes, expected 614410/.test(err.message),
        );
        assert.equal(await repo.blobs().exists(sha256(claimed)), undefined);
      }
    } finally {
      await client.close();
    }
  });

  it("resumes a download with Range after the connection drops, still verifying the digest", async () => {
    const { registries } = await testEnv();
    const direct = new RegistryClient(options(registries.anonymous.host));
    const repo = new Repository(direct, `oci-${runId}/faults/cut-download`);
    const data = randomBytes(1024 * 1024);
    const desc = await pushBytes(repo, data);
    await direct.close();
    const proxy = await tcpProxy(registries.anonymous.host, { cutServerBytesAt: 400_000 });
    const events: RequestEvent[] = [];
    const client = new RegistryClient(options(proxy.host, { onRequest: (e) => events.push(e) }));
    try {
      const got = await readAll(await new Repository(client, repo.name).blobs().fetch(desc));
      assert.equal(proxy.cuts(), 1);
      assert.deepEqual(got, data);
      assert.deepEqual(
        events.map((e) => e.status),
        [200, 206],
      );
    } finally {
      await client.close();
    }
  });

  it("fails a download whose bytes were altered on the way with DigestMismatchError", async () => {
    const { registries } = await testEnv();
    const proxy = await httpProxy(registries.anonymous.host, (req, _res, forward) => {
      if (req.method === "GET" && req.url?.includes("/blobs/sha256:")) {
        forward((body) => {
          const copy = Buffer.from(body);
          copy[100] = (copy[100] ?? 0) ^ 0xff;
          return { body: copy };
        });
      } else forward();
    });
    const client = new RegistryClient(options(proxy));
    try {
      const repo = new Repository(client, `oci-${runId}/faults/flip`);
      const desc = await pushBytes(repo, randomBytes(5000));
      await assert.rejects(
        readAll(await repo.blobs().fetch(desc)),
        (err: unknown) => err instanceof DigestMismatchError && err.expected === desc.digest && !err.transient,
      );
    } finally {
      await client.close();
    }
  });

  it("follows Link pagination of the tag list (a stand-in paginator in front of distribution 2.8, which does not page)", async () => {
    const { registries } = await testEnv();
    const proxy = await httpProxy(registries.anonymous.host, (req, _res, forward) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (!url.pathname.endsWith("/tags/list")) return forward();
      const n = Number(url.searchParams.get("n") ?? 1000);
      const last = url.searchParams.get("last");
      req.url = url.pathname;
      forward((body) => {
        const doc = JSON.parse(body.toString()) as { name: string; tags: string[] };
        const all = doc.tags.sort();
        const page = all.filter((t) => last === null || t > last).slice(0, n);
        const more = page.length > 0 && all.indexOf(page.at(-1) ?? "") < all.length - 1;
        const headers: Record<string, string> = more
          ? { link: `<${url.pathname}?n=${n}&last=${page.at(-1)}>; rel="next"` }
          : {};
        return { body: Buffer.from(JSON.stringify({ name: doc.name, tags: page })), headers };
      });
    });
    const events: RequestEvent[] = [];
    const client = new RegistryClient(options(proxy, { onRequest: (e) => events.push(e) }));
    try {
      const repo = new Repository(client, `oci-${runId}/faults/tags`);
      const config = await pushBytes(repo, Buffer.from("{}"));
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [] }));
      for (const tag of ["a", "b", "c", "d", "e"]) await repo.manifests().push(tag, manifest, OCI_MANIFEST);
      events.length = 0;
      assert.deepEqual(await repo.tags().list({ pageSize: 2 }), ["a", "b", "c", "d", "e"]);
      assert.equal(events.length, 3);
      await assert.rejects(
        repo.tags().list({ pageSize: 1, maxPages: 2 }),
        (err: unknown) => (err as { code?: string }).code === "TAGS_TOO_MANY_PAGES",
      );
    } finally {
      await client.close();
    }
  });

  it("follows a 307 to another origin without sending it the registry's Authorization", async () => {
    const { registries } = await testEnv();
    const storageAuth: (string | undefined)[] = [];
    const storage = await httpProxy(registries.anonymous.host, (req, _res, forward) => {
      storageAuth.push(req.headers.authorization);
      forward();
    });
    const storageUrl = `http://${storage.replace("127.0.0.1", "localhost")}`;
    const front = await httpProxy(registries.anonymous.host, (req, res, forward) => {
      if (req.headers.authorization !== `Basic ${Buffer.from("u:p").toString("base64")}`) {
        return void res.writeHead(401, { "www-authenticate": 'Basic realm="stand-in"' }).end();
      }
      if (req.method === "GET" && req.url?.includes("/blobs/sha256:"))
        return void res.writeHead(307, { location: `${storageUrl}${req.url}` }).end();
      forward();
    });
    const client = new RegistryClient(options(front, { credentials: basicCredentials(front, "u", "p") }));
    try {
      const repo = new Repository(client, `oci-${runId}/faults/redirect`);
      const data = randomBytes(3000);
      const desc = await pushBytes(repo, data);
      assert.deepEqual(await readAll(await repo.blobs().fetch(desc)), data);
      assert.deepEqual(storageAuth, [undefined]);
    } finally {
      await client.close();
    }
  });
});

describe("OCI client auth and TLS", () => {
  let tokenRegistry: RegistryEnv | undefined;
  const tokenReg = async (): Promise<RegistryEnv> => {
    if (!tokenRegistry) {
      tokenRegistry = await startRegistry(mkdtempSync(join(tmpdir(), "airlift-oci-token-")), "token", {
        tokenExpiresInSeconds: 2,
      });
      const reg = tokenRegistry;
      closers.push(() => reg.stop());
    }
    return tokenRegistry;
  };

  it("fetches a new token when the cached one expires during an upload", async () => {
    const reg = await tokenReg();
    const client = new RegistryClient(
      options(reg.host, { credentials: basicCredentials(reg.host, reg.username ?? "", reg.password ?? "") }),
    );
    try {
      const repo = new Repository(client, `oci-${runId}/auth/expiry`);
      const data = randomBytes(600 * 1024);
      const before = reg.tokenIssuer?.issued.get(reg.username ?? "") ?? 0;
      // The source pauses past the token's two-second life between chunks.
      const slow = (): Readable =>
        Readable.from(
          (async function* () {
            yield data.subarray(0, 300 * 1024);
            await sleep(2500);
            yield data.subarray(300 * 1024);
          })(),
        );
      const desc = await repo.blobs().push({ size: data.length }, slow, { chunkSize: 200 * 1024 });
      assert.equal(desc.digest, sha256(data));
      assert.ok((reg.tokenIssuer?.issued.get(reg.username ?? "") ?? 0) - before >= 2, "a second token was issued");
      assert.deepEqual(await readAll(await repo.blobs().fetch(desc)), data);
    } finally {
      await client.close();
    }
  });

  it("re-authenticates when the registry answers 401 in the middle of an upload, and resends the chunk", async () => {
    const reg = await tokenReg();
    const name = `oci-${runId}/auth/midupload`;
    let patches = 0;
    const proxy = await httpProxy(reg.host, (req, res, forward) => {
      if (req.method === "PATCH" && ++patches === 2) {
        req.resume();
        const challenge = `Bearer realm="${reg.realm}",service="airlift-test-registry",scope="repository:${name}:pull,push"`;
        return void res
          .writeHead(401, { "www-authenticate": challenge, "content-type": "application/json" })
          .end('{"errors":[{"code":"UNAUTHORIZED","message":"token expired"}]}');
      }
      forward();
    });
    const client = new RegistryClient(
      options(proxy, { credentials: basicCredentials(proxy, reg.username ?? "", reg.password ?? "") }),
    );
    try {
      const repo = new Repository(client, name);
      const data = randomBytes(700 * 1024);
      const before = reg.tokenIssuer?.issued.get(reg.username ?? "") ?? 0;
      const desc = await repo.blobs().push({ size: data.length }, pieces(data), { chunkSize: 256 * 1024 });
      assert.ok((reg.tokenIssuer?.issued.get(reg.username ?? "") ?? 0) > before + 1, "a fresh token after the 401");
      assert.equal(patches, 4, "three chunks, one of them sent twice");
      assert.deepEqual(await readAll(await repo.blobs().fetch(desc)), data);
    } finally {
      await client.close();
    }
  });

  it("refuses the TLS registry without its CA (TlsError), and reaches it with the CA or the explicit opt-out", async () => {
    const { registries } = await testEnv();
    const reg = registries["basic-tls"];
    const credentials = basicCredentials(reg.host, reg.username ?? "", reg.password ?? "");
    const retry = { maxAttempts: 2, baseDelayMs: 10 };
    const without = new RegistryClient({ registry: reg.host, credentials, retry });
    const withCa = new RegistryClient({ registry: reg.host, credentials, retry, caPem: reg.caPem ?? "" });
    const skip = new RegistryClient({ registry: reg.host, credentials, retry, insecureSkipTLSVerify: true });
    const wrongPassword = new RegistryClient({
      registry: reg.host,
      credentials: basicCredentials(reg.host, reg.username ?? "", "wrong"),
      caPem: reg.caPem ?? "",
    });
    try {
      await assert.rejects(
        without.ping(),
        (err: unknown) =>
          err instanceof TlsError && err.code === "TLS" && !err.transient && /CA bundle/.test(err.message),
      );
      await withCa.ping();
      await skip.ping();
      await assert.rejects(
        wrongPassword.ping(),
        (err: unknown) =>
          (err as { code?: string }).code === "UNAUTHORIZED" && !(err as Error).message.includes("wrong"),
      );
    } finally {
      await Promise.all([without.close(), withCa.close(), skip.close(), wrongPassword.close()]);
    }
  });
});

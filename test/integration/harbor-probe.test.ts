// isHarbor against the Harbor stand-in and the REAL plain registries (anonymous HTTP, basic auth over TLS with the
// harness CA), and the client's strictness against tiny fakes: wrong shapes, non-JSON, transient 5xx.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { testEnv } from "../env/index.ts";
import { startHarborStandin, type HarborStandin } from "../harbor-standin/index.ts";
import {
  HarborClient,
  HarborResponseShapeError,
  HarborServerError,
  HarborTlsError,
  HarborTransportError,
  isHarbor,
  type HarborArtifact,
} from "../../src/harbor/index.ts";

/** A tiny fake HTTP server: NOT Harbor, answers whatever the test says. */
async function fake(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function listAll(client: HarborClient): Promise<HarborArtifact[]> {
  const out: HarborArtifact[] = [];
  for await (const a of client.listArtifacts({ project: "p", repository: "r" })) out.push(a);
  return out;
}

describe("isHarbor", () => {
  let standin: HarborStandin;
  before(async () => {
    const { registries } = await testEnv();
    standin = await startHarborStandin({ registry: registries.anonymous });
  });
  after(() => standin.close());

  it("is true for the Harbor stand-in and false for a plain CNCF distribution registry", async () => {
    const { registries } = await testEnv();
    assert.equal(await isHarbor(standin.url, { signal: AbortSignal.timeout(10_000) }), true);
    assert.equal(await isHarbor(registries.anonymous.url), false);
  });

  it("over TLS: the CA bundle makes the basic-tls registry answer (not Harbor); without it a HarborTlsError; the opt-out skips verification", async () => {
    const reg = (await testEnv()).registries["basic-tls"];
    assert.equal(await isHarbor(reg.url, { caPem: reg.caPem ?? "" }), false);
    await assert.rejects(
      isHarbor(reg.url),
      (err: unknown) => err instanceof HarborTlsError && err.code === "TLS" && !err.transient,
    );
    assert.equal(await isHarbor(reg.url, { insecureSkipTLSVerify: true }), false);
  });

  it("a fake answering 200 with something else than Harbor's systeminfo is not Harbor", async () => {
    const f = await fake((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
    });
    try {
      assert.equal(await isHarbor(f.url), false);
    } finally {
      await f.close();
    }
  });
});

describe("strict listing against tiny fakes", () => {
  it("a 200 of the wrong shape fails with HarborResponseShapeError naming the field", async () => {
    const bodies = [
      '{"items":[]}',
      '[{"id":1,"digest":"sha256:ab","manifest_media_type":"x","size":1,"push_time":"2025-01-01T00:00:00Z","tags":[{"name":"v1"}]}]',
      "<html>login</html>",
    ];
    for (const body of bodies) {
      const f = await fake((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body);
      });
      const client = new HarborClient({ url: f.url, retry: { maxAttempts: 1 } });
      try {
        await assert.rejects(
          listAll(client),
          (err: unknown) =>
            err instanceof HarborResponseShapeError &&
            err.code === "UNEXPECTED_RESPONSE" &&
            /not a JSON array|tags\[0\]\.push_time|not JSON/.test(err.message),
        );
      } finally {
        await client.close();
        await f.close();
      }
    }
  });

  it("retries a transient 503 and succeeds; out of attempts it is a transient HarborServerError", async () => {
    let calls = 0;
    const seen: string[] = [];
    const f = await fake((req, res) => {
      calls++;
      seen.push(req.url ?? "");
      if (calls % 3 !== 0) {
        res.writeHead(503, { "content-type": "application/json" });
        res.end('{"errors":[{"code":"SERVICE_UNAVAILABLE","message":"busy"}]}');
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "x-total-count": "0" });
      res.end("[]");
    });
    const patient = new HarborClient({ url: f.url, retry: { maxAttempts: 3, baseDelayMs: 10 } });
    const hasty = new HarborClient({ url: f.url, retry: { maxAttempts: 1 } });
    try {
      assert.deepEqual(await listAll(patient), []);
      assert.equal(calls, 3);
      assert.match(
        seen[0] ?? "",
        /^\/api\/v2\.0\/projects\/p\/repositories\/r\/artifacts\?page=1&page_size=100&with_tag=true&with_accessory=true&sort=-push_time$/,
      );
      await assert.rejects(
        listAll(hasty),
        (err: unknown) =>
          err instanceof HarborServerError && err.transient && err.status === 503 && err.code === "SERVICE_UNAVAILABLE",
      );
    } finally {
      await Promise.all([patient.close(), hasty.close()]);
      await f.close();
    }
  });

  it("a server that links onwards forever is stopped by the page bound", async () => {
    const artifact = {
      id: 1,
      digest: `sha256:${"a".repeat(64)}`,
      manifest_media_type: "application/vnd.oci.image.manifest.v1+json",
      size: 1,
      push_time: "2025-01-01T00:00:00Z",
      tags: null,
    };
    const f = await fake((req, res) => {
      const page = Number(new URL(req.url ?? "/", "http://x").searchParams.get("page"));
      res.writeHead(200, {
        "content-type": "application/json",
        link: `</api/v2.0/projects/p/repositories/r/artifacts?page=${page + 1}>; rel="next"`,
      });
      res.end(JSON.stringify([artifact]));
    });
    const client = new HarborClient({ url: f.url, maxPages: 5 });
    try {
      await assert.rejects(listAll(client), /more than 5 pages/);
    } finally {
      await client.close();
      await f.close();
    }
  });

  it("a server that never answers ends in a transient TIMEOUT; the caller's abort ends the call as an abort", async () => {
    const f = await fake(() => {
      // Never answers.
    });
    const client = new HarborClient({ url: f.url, timeoutMs: 300, retry: { maxAttempts: 1 } });
    try {
      await assert.rejects(
        listAll(client),
        (err: unknown) => err instanceof HarborTransportError && err.code === "TIMEOUT" && err.transient,
      );
      const caller = new AbortController();
      const pending = client.listArtifacts({ project: "p", repository: "r", signal: caller.signal }).next();
      caller.abort();
      await assert.rejects(
        pending,
        (err: unknown) => err instanceof Error && err.name === "AbortError" && !(err instanceof HarborTransportError),
      );
    } finally {
      await client.close();
      await f.close();
    }
  });
});

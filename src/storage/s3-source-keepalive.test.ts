// Ranged reads of an S3Source reuse their keep-alive connection: each GET's body is read to its end, so the socket
// goes back to the client's pool instead of being destroyed with the body (a new TCP connection per read, as an
// archive import's many small header reads did). A small in-process server answers HEAD and ranged GET for one
// object, and counts the connections it accepts.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { createS3Client } from "./s3-client.ts";
import { S3Source } from "./s3-source.ts";

const object = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 251));
const etag = '"0123456789abcdef0123456789abcdef"';

function answer(req: IncomingMessage, res: ServerResponse): void {
  const headers = { etag, "content-type": "application/octet-stream", "last-modified": new Date(0).toUTCString() };
  if (req.method === "HEAD") {
    res.writeHead(200, { ...headers, "content-length": String(object.length) }).end();
    return;
  }
  const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
  if (!range) {
    res.writeHead(200, { ...headers, "content-length": String(object.length) }).end(object);
    return;
  }
  const start = Number(range[1]);
  const end = Math.min(object.length - 1, Number(range[2]));
  res.writeHead(206, {
    ...headers,
    "content-length": String(end - start + 1),
    "content-range": `bytes ${start}-${end}/${object.length}`,
  });
  res.end(object.subarray(start, end + 1));
}

describe("S3Source keep-alive", () => {
  let connections = 0;
  const server = createServer(answer);
  server.on("connection", () => connections++);
  let endpoint = "";
  before(async () => {
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("ten ranged reads, one after another, go over one connection and return the right bytes", async () => {
    const client = createS3Client({ endpoint, accessKeyId: "k", secretAccessKey: "s", maxSockets: 4 });
    try {
      const source = await S3Source.open({ client, bucket: "b", key: "o.tar" });
      for (let i = 0; i < 10; i++) {
        const offset = i * 4096 + 7;
        assert.deepEqual(await source.read(offset, 512), object.subarray(offset, offset + 512));
      }
      const streamed: Buffer[] = [];
      for await (const chunk of source.stream(1000, 20_000)) streamed.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(streamed), object.subarray(1000, 21_000));
      assert.equal(source.stats.gets, 11);
      assert.equal(connections, 1, `${connections} connections for one HEAD and 11 sequential GETs`);
    } finally {
      client.destroy();
    }
  });
});

import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { createLogger } from "./logger.ts";
import { parseAddress } from "./health-server.ts";

describe("logger", () => {
  it("writes JSON and redacts credentials wherever they sit", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done): void {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: "info", destination: sink });
    log.info(
      { password: "p1", auth: { token: "t1" }, headers: { authorization: "Bearer t2" }, s3: { secretAccessKey: "k1" } },
      "hello",
    );
    log.debug("hidden");
    assert.equal(lines.length, 1);
    const text = lines[0] ?? "";
    for (const secret of ["p1", "t1", "t2", "k1"]) assert.doesNotMatch(text, new RegExp(`"${secret}"|${secret}"`));
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.equal(parsed.msg, "hello");
    assert.equal(parsed.level, "info");
    assert.equal(parsed.password, "[REDACTED]");
  });

  it("refuses an unknown level", () => {
    assert.throws(() => createLogger({ level: "loud" }), /unknown log level "loud"/);
  });
});

describe("health server addresses", () => {
  it("parses host:port forms", () => {
    assert.deepEqual(parseAddress(":8080"), { host: undefined, port: 8080 });
    assert.deepEqual(parseAddress("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
    assert.deepEqual(parseAddress("[::1]:9090"), { host: "::1", port: 9090 });
    assert.throws(() => parseAddress("nope"), /invalid address/);
  });
});

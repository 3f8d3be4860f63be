import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseWwwAuthenticate } from "./www-authenticate.ts";

describe("WWW-Authenticate", () => {
  it("parses a registry bearer challenge", () => {
    assert.deepEqual(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push"',
      ),
      [
        {
          scheme: "bearer",
          params: {
            realm: "https://auth.docker.io/token",
            service: "registry.docker.io",
            scope: "repository:library/ubuntu:pull,push",
          },
        },
      ],
    );
  });

  it("handles Basic, unquoted values, escapes, spaces and several challenges", () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="Harbor \\"x\\""'), [
      { scheme: "basic", params: { realm: 'Harbor "x"' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm="a", Bearer realm=https://t/token , service = reg'), [
      { scheme: "basic", params: { realm: "a" } },
      { scheme: "bearer", params: { realm: "https://t/token", service: "reg" } },
    ]);
    assert.deepEqual(parseWwwAuthenticate("Negotiate abc123=="), [{ scheme: "negotiate", params: { "": "abc123==" } }]);
  });

  it("keeps scopes with several repositories separated by spaces", () => {
    const [c] = parseWwwAuthenticate('Bearer realm="r",scope="repository:a:pull repository:b:pull,push"');
    assert.deepEqual(c?.params.scope?.split(" "), ["repository:a:pull", "repository:b:pull,push"]);
  });

  it("drops malformed tails instead of throwing", () => {
    assert.deepEqual(parseWwwAuthenticate(""), []);
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="unterminated'), [{ scheme: "bearer", params: {} }]);
  });
});

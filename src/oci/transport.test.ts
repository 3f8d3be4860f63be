import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactUrl } from "./transport.ts";

describe("redactUrl", () => {
  it("redacts userinfo and signed query values in logged URLs", () => {
    const text = redactUrl(new URL("https://user:pw@s3.example/b?X-Amz-Signature=abc&X-Amz-Credential=k&_state=s&n=2"));
    assert.ok(!/pw|abc|=k&|=s&/.test(text), text);
    assert.match(text, /n=2/);
  });
});

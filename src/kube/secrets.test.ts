import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { namespaceAllowed } from "./secrets.ts";

describe("namespaceAllowed", () => {
  it("matches comma-separated globs against the whole namespace", () => {
    assert.equal(namespaceAllowed("team-*,ops", "team-a"), true);
    assert.equal(namespaceAllowed("team-*, ops", "ops"), true);
    assert.equal(namespaceAllowed("team-*,ops", "ops2"), false);
    assert.equal(namespaceAllowed("team-*", "my-team-a"), false);
    assert.equal(namespaceAllowed("proj-?", "proj-1"), true);
    assert.equal(namespaceAllowed("proj-?", "proj-12"), false);
    assert.equal(namespaceAllowed("a.b", "axb"), false, "a dot is literal");
    assert.equal(namespaceAllowed("", "anything"), false);
    assert.equal(namespaceAllowed(" , ", "anything"), false);
    assert.equal(namespaceAllowed("*", "anything"), true);
  });
});

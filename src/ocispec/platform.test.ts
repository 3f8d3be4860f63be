import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatPlatform, parsePlatform, platformMatches } from "./platform.ts";

describe("platforms", () => {
  it("splits os/arch[/variant] and formats it back", () => {
    assert.deepEqual(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
    assert.deepEqual(parsePlatform("linux/arm64/v8"), { os: "linux", architecture: "arm64", variant: "v8" });
    for (const text of ["linux/amd64", "linux/arm/v7"]) assert.equal(formatPlatform(parsePlatform(text)), text);
    assert.equal(formatPlatform(undefined), "?");
  });

  it("matches os and architecture, and the variant only when one is wanted", () => {
    const arm = { os: "linux", architecture: "arm64", variant: "v8" };
    assert.equal(platformMatches(arm, parsePlatform("linux/arm64")), true);
    assert.equal(platformMatches(arm, parsePlatform("linux/arm64/v8")), true);
    assert.equal(platformMatches(arm, parsePlatform("linux/arm64/v9")), false);
    assert.equal(platformMatches({ os: "linux", architecture: "arm64" }, parsePlatform("linux/arm64/v8")), false);
    assert.equal(platformMatches(undefined, parsePlatform("linux/amd64")), false);
    assert.equal(platformMatches(arm, parsePlatform("linux")), false);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commanderMessage, errorLine, usageLines } from "./error-lines.ts";

describe("error lines", () => {
  it("turns commander's two-line error into one line with the suggestion", () => {
    assert.equal(
      commanderMessage("error: unknown option '--progres'\n(Did you mean --progress?)\n"),
      "unknown option '--progres' (did you mean --progress?)",
    );
    assert.equal(
      commanderMessage("error: missing required argument 'archive'\n"),
      "missing required argument 'archive'",
    );
  });

  it("adds the pointer to the command's help on a second line", () => {
    assert.equal(usageLines("airlift pull", "bad"), "airlift pull: bad\nsee `airlift pull --help`\n");
  });

  it("prints any error on one line, with a cause that adds something and an empty AggregateError's first member", () => {
    assert.equal(errorLine(new Error("first\nsecond")), "first; second");
    assert.equal(
      errorLine(new Error("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") })),
      "fetch failed: connect ECONNREFUSED 127.0.0.1:1",
    );
    assert.equal(
      errorLine(new AggregateError([new Error("connect ECONNREFUSED ::1:443")], "")),
      "connect ECONNREFUSED ::1:443",
    );
    assert.equal(errorLine("plain"), "plain");
  });
});

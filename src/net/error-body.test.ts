import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { parseErrorsBody, readErrorBody, statusFailureMessage } from "./error-body.ts";

describe("error bodies", () => {
  it("narrows {errors:[{code,message}]} and drops what does not fit", () => {
    assert.deepEqual(
      parseErrorsBody('{"errors":[{"code":"NAME_UNKNOWN","message":"no repo","detail":{}},{"message":"no code"},7]}'),
      [{ code: "NAME_UNKNOWN", message: "no repo" }],
    );
    assert.deepEqual(parseErrorsBody('{"errors":[{"code":"X"}]}'), [{ code: "X", message: "" }]);
    for (const other of ["<html>", "", "null", '{"errors":{}}', "[]"])
      assert.deepEqual(parseErrorsBody(other), [], other);
    assert.equal(
      parseErrorsBody(JSON.stringify({ errors: [{ code: "C".repeat(100), message: "m".repeat(1000) }] }))[0]?.message
        .length,
      300,
    );
  });

  it("reads a body with a bound; an oversized or broken body gives no entries", async () => {
    assert.deepEqual(
      await readErrorBody(Readable.from([Buffer.from('{"errors":[{"code":"DENIED","message":"no"}]}')])),
      [{ code: "DENIED", message: "no" }],
    );
    assert.deepEqual(await readErrorBody(Readable.from([Buffer.from('{"errors":[{"code":"DENIED"}]}')]), 10), []);
    const broken = new Readable({
      read() {
        this.destroy(new Error("reset"));
      },
    });
    assert.deepEqual(await readErrorBody(broken), []);
  });

  it("says what failed, the status, and the server's first code and message", () => {
    assert.equal(
      statusFailureMessage("list tags of a/b", 404, [{ code: "NAME_UNKNOWN", message: "no repo" }]),
      "failed to list tags of a/b: status 404: NAME_UNKNOWN (no repo)",
    );
    assert.equal(statusFailureMessage("x", 503, [{ code: "BUSY", message: "" }]), "failed to x: status 503: BUSY");
    assert.equal(statusFailureMessage("x", 500, []), "failed to x: status 500");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DestinationPlanError } from "./destinations.ts";
import { templateRepository } from "./drop-box-naming.ts";

describe("templateRepository", () => {
  it("names the repository after the archive's folder and file", () => {
    assert.equal(templateRepository("mirror/{dir}/{name}", "team/App_Server.tar.gz"), "mirror/team/app_server");
    assert.equal(templateRepository("mirror/{dir}/{name}", "db.tar"), "mirror/db");
    assert.equal(templateRepository("{name}", "x/Oracle DB 19.tgz"), "oracle-db-19");
  });

  it("refuses a name that is no repository, naming the archive", () => {
    assert.throws(
      () => templateRepository("{name}", "___.tar"),
      (err: unknown) => {
        assert.ok(err instanceof DestinationPlanError);
        assert.match(err.message, /___\.tar/);
        return true;
      },
    );
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkLocalArchive, parseS3Location } from "./transfer-input.ts";

describe("import / pull locations", () => {
  it("parses s3:// URLs and leaves local paths alone", () => {
    assert.deepEqual(parseS3Location("s3://airgap/g/app.tar", "archive"), { bucket: "airgap", key: "g/app.tar" });
    assert.deepEqual(parseS3Location("s3://artifacts/apps/demo/", "destination"), {
      bucket: "artifacts",
      key: "apps/demo/",
    });
    assert.equal(parseS3Location("./app.tar", "archive"), undefined);
  });

  it("refuses an archive URL without a key, a destination without a prefix, and bad bucket names", () => {
    assert.throws(() => parseS3Location("s3://bucket/", "archive"), {
      name: "UsageError",
      message: /name the archive object after the bucket/,
    });
    assert.throws(() => parseS3Location("s3://bucket/dir/", "archive"), /name the archive object/);
    assert.throws(() => parseS3Location("s3://bucket", "destination"), /name a prefix after the bucket/);
    assert.throws(
      () => parseS3Location("s3://My_Bucket/k", "archive"),
      /bucket name "My_Bucket" must be 3-63 characters/,
    );
    assert.throws(() => parseS3Location("s3:/bucket/k", "archive"), /invalid S3 URL/);
  });

  it("reports a missing or unreadable archive with exit code 3", () => {
    const dir = mkdtempSync(join(tmpdir(), "airlift-input-"));
    assert.throws(() => checkLocalArchive(join(dir, "missing.tar")), {
      name: "CliError",
      exitCode: 3,
      message: /does not exist/,
    });
    assert.throws(() => checkLocalArchive(dir), { exitCode: 3, message: /is not a file/ });
    writeFileSync(join(dir, "ok.tar"), "x");
    checkLocalArchive(join(dir, "ok.tar"));
  });
});

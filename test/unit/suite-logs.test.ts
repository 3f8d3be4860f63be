// The suite's secret scan finds a value wherever it sits in any log file, and names the secret, never the value.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { scanLogs } from "../env/suite-logs.ts";

describe("scanLogs", () => {
  it("reports each file holding a secret value by the secret's name", () => {
    const dir = mkdtempSync(join(tmpdir(), "airlift-scan-"));
    writeFileSync(join(dir, "clean.log"), '{"msg":"reconcile finished"}\n');
    writeFileSync(
      join(dir, "leaky.log"),
      '{"msg":"pushing","auth":"Basic YWlybGlmdDpzM2NyM3Q="}\n{"key":"s3cr3t-value"}\n',
    );
    const out = scanLogs(dir, {
      "S3 secret key": "s3cr3t-value",
      "basic auth": "YWlybGlmdDpzM2NyM3Q=",
      "admin token": "not-there",
    });
    assert.equal(out.files, 2);
    assert.deepEqual(out.findings.sort(), ["leaky.log: S3 secret key", "leaky.log: basic auth"]);
    assert.ok(!out.findings.join("").includes("s3cr3t-value"));
  });

  it("finds nothing in a folder no test wrote to", () => {
    assert.deepEqual(scanLogs(join(tmpdir(), "airlift-no-such-folder"), { x: "y" }), {
      files: 0,
      bytes: 0,
      findings: [],
    });
  });
});

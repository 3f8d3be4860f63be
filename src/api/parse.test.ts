// parse.ts refuses every row of the validation table with the table's message, and accepts the samples.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidObjectError, objectIssues, parseArtifactPull, parseImageImport, parseOciSync } from "./parse.ts";
import { INVALID_CASES } from "../../test/fixtures/api/validation-cases.ts";
import { sampleArtifactPull, sampleImageImport, sampleOciSync } from "../../test/fixtures/api/sample-objects.ts";
import { ARTIFACT_PULL, IMAGE_IMPORT, OCI_SYNC, type KindInfo } from "./group-version.ts";
import { ALL_REASONS, REASON_PATTERN } from "./conditions.ts";

const KIND_INFO: Record<string, KindInfo> = {
  ImageImport: IMAGE_IMPORT,
  ArtifactPull: ARTIFACT_PULL,
  OciSync: OCI_SYNC,
};

describe("parse", () => {
  it("accepts the samples and returns them typed", () => {
    assert.equal(parseImageImport(sampleImageImport()).spec.source.s3.key, "g/oracle_db.tar");
    assert.deepEqual(parseArtifactPull(sampleArtifactPull()).spec.source.tagPolicy, { newestPushed: {} });
    assert.equal(parseOciSync(sampleOciSync()).spec.oci.dir, ".");
  });

  for (const c of INVALID_CASES) {
    it(`refuses ${c.name}`, () => {
      const obj = c.build("x", "default");
      const messages = objectIssues(KIND_INFO[obj.kind]!, obj).map((i) => `${i.path}: ${i.message}`);
      const wanted = (m: string): boolean => m.includes(c.message) && (!c.path || m.startsWith(`${c.path}: `));
      assert.ok(
        messages.some(wanted),
        `expected "${c.message}" at ${c.path ?? "any path"} in ${JSON.stringify(messages)}`,
      );
    });
  }

  it("names every problem with its path in one error", () => {
    const obj = sampleImageImport() as unknown as { spec: { concurrency: number; destination: { tags: string[] } } };
    obj.spec.concurrency = 99;
    obj.spec.destination.tags = ["bad tag"];
    assert.throws(
      () => parseImageImport(obj),
      (err: unknown) =>
        err instanceof InvalidObjectError &&
        err.issues.some((i) => i.path === "spec.concurrency") &&
        err.issues.some((i) => i.path === "spec.destination.tags[0]"),
    );
  });

  it("refuses another kind, a missing name and a non-object", () => {
    assert.throws(() => parseOciSync(sampleImageImport()), /kind: must be OciSync/);
    const nameless = sampleOciSync() as unknown as { metadata: { name?: string } };
    delete nameless.metadata.name;
    assert.throws(() => parseOciSync(nameless), /metadata.name: Required value/);
    assert.throws(() => parseOciSync("nope"), InvalidObjectError);
  });

  it("allows a RepoTag or an index as images[].source", () => {
    const obj = sampleImageImport();
    obj.spec.images = [{ source: "oracle/db:19.3" }, { source: 1 }];
    assert.doesNotThrow(() => parseImageImport(obj));
  });

  it("every reason constant matches the API server's reason pattern", () => {
    const re = new RegExp(REASON_PATTERN);
    for (const reason of ALL_REASONS) assert.match(reason, re);
    for (const reason of ALL_REASONS) assert.match(reason, /^[A-Z]/, `${reason} is not PascalCase`);
  });
});

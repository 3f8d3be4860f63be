import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkReference, referenceProblems, withRegistry } from "./reference-check.ts";

describe("references typed on the command line", () => {
  it("names every problem of a bad reference", () => {
    assert.deepEqual(referenceProblems("harbor..example.com/x:"), [
      'the tag after ":" is empty (write :TAG, or drop the ":" for :latest)',
      'the registry host "harbor..example.com" has an empty label (".." or a "." at either end)',
    ]);
    assert.match(referenceProblems("harbor.example.com/Apps/web:1")[0] ?? "", /must be lowercase/);
    assert.match(referenceProblems("harbor.example.com:port/apps/web")[0] ?? "", /bad port/);
    assert.match(referenceProblems("harbor.example.com/apps//web")[0] ?? "", /empty path component/);
    assert.match(referenceProblems("harbor.example.com/apps/web@sha256:abc")[0] ?? "", /64 lowercase hex/);
    assert.match(referenceProblems("harbor.example.com/apps/web:-x")[0] ?? "", /must not start with/);
    assert.match(referenceProblems("harbor.example.com/")[0] ?? "", /repository is missing/);
    assert.deepEqual(referenceProblems(""), ["it is empty"]);
  });

  it("accepts what the distribution grammar accepts", () => {
    for (const ok of [
      "harbor.example.com/library/app:1.0",
      "localhost:5000/a/b",
      "127.0.0.1:5000/x@sha256:" + "0".repeat(64),
      "ubuntu",
      "[::1]:5000/a:b",
    ]) {
      assert.deepEqual(referenceProblems(ok), [], ok);
      checkReference(ok, "reference", "harbor.example.com");
    }
  });

  it("throws a usage error naming the argument", () => {
    assert.throws(() => checkReference("harbor..example.com/x:", "destination"), {
      name: "UsageError",
      message: /^invalid destination "harbor\.\.example\.com\/x:": the tag after ":" is empty/,
    });
  });

  it("refuses a reference without a registry host unless a default registry is given, never taking docker.io", () => {
    for (const hostless of ["app:1", "library/app:1", "apps/web@sha256:" + "0".repeat(64)]) {
      assert.throws(() => checkReference(hostless, "reference"), {
        name: "CliError",
        exitCode: 2,
        message: `reference "${hostless}" has no registry host: write harbor.example.com/${hostless}, or set --default-registry / AIRLIFT_DEFAULT_REGISTRY`,
      });
    }
    assert.deepEqual(checkReference("library/app:1", "reference", "harbor.site.example"), {
      registry: "harbor.site.example",
      repository: "library/app",
      tag: "1",
    });
    assert.deepEqual(checkReference("app:1", "destination", "harbor.site.example:8443"), {
      registry: "harbor.site.example:8443",
      repository: "app",
      tag: "1",
    });
    assert.equal(withRegistry("app:1", "reference", "harbor.site.example"), "harbor.site.example/app:1");
    // A named registry wins over the default, docker.io included when the user writes it.
    for (const named of ["localhost/app:1", "127.0.0.1:5000/app:1", "docker.io/library/app:1"])
      assert.equal(withRegistry(named, "reference", "harbor.site.example"), named);
    assert.equal(checkReference("docker.io/library/app:1", "reference").registry, "docker.io");
  });
});

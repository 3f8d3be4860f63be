import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Digester, blobPath, digestOf, isDigest, parseDigest } from "./digest.ts";
import { InvalidDigestError } from "./errors.ts";

describe("digests", () => {
  it("accepts sha256 and sha512 with exact lowercase hex", () => {
    assert.deepEqual(parseDigest(`sha256:${"0".repeat(64)}`), { algorithm: "sha256", encoded: "0".repeat(64) });
    assert.equal(isDigest(`sha512:${"f".repeat(128)}`), true);
  });

  it("rejects anything that could become a surprising path", () => {
    for (const bad of [
      "",
      "sha256",
      "sha256:",
      `sha256:${"A".repeat(64)}`,
      `sha256:${"0".repeat(63)}`,
      `sha256:${"0".repeat(65)}`,
      `sha256:../${"0".repeat(61)}`,
      `md5:${"0".repeat(32)}`,
      `sha512:${"0".repeat(64)}`,
      `SHA256:${"0".repeat(64)}`,
      `sha256:${"0".repeat(63)}/`,
    ]) {
      assert.equal(isDigest(bad), false, bad);
      assert.throws(
        () => parseDigest(bad),
        (err: unknown) => (err as { code?: string }).code === "DIGEST_INVALID",
      );
    }
    fc.assert(fc.property(fc.string(), (s) => !isDigest(s) || /^sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})$/.test(s)));
  });

  it("names a blob's path in a layout only for a valid digest", () => {
    assert.equal(blobPath(`sha512:${"f".repeat(128)}`), `blobs/sha512/${"f".repeat(128)}`);
    assert.throws(() => blobPath(`sha256:../../${"0".repeat(58)}`), InvalidDigestError);
    assert.equal(isDigest(42), false);
  });

  it("hashes incrementally to the same value as all at once", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (parts) => {
        const d = new Digester();
        for (const p of parts) d.update(p);
        assert.equal(
          d.size,
          parts.reduce((n, p) => n + p.length, 0),
        );
        assert.equal(d.digest(), digestOf(Buffer.concat(parts)));
      }),
    );
  });
});

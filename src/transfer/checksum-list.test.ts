import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChecksumListError, parseChecksumList } from "./checksum-list.ts";

const A = "a".repeat(64);
const B = "B".repeat(64);

describe("parseChecksumList", () => {
  it("reads sha256sum's text and binary lines, dropping ./ and skipping blanks and comments", () => {
    const sums = parseChecksumList(`# made on the connected side\n${A}  app.tar\n${B} *./sub/db.tar.gz\n\n`);
    assert.deepEqual(
      [...sums],
      [
        ["app.tar", A],
        ["sub/db.tar.gz", "b".repeat(64)],
      ],
    );
  });

  it("reads the BSD (--tag) form and escaped names", () => {
    const sums = parseChecksumList(`SHA256 (x.tar) = ${A}\r\n\\${A}  we\\\\ird\\nname.tar\n`);
    assert.equal(sums.get("x.tar"), A);
    assert.equal(sums.get("we\\ird\nname.tar"), A);
  });

  it("refuses a line of another shape, naming its number", () => {
    assert.throws(
      () => parseChecksumList(`${A}  ok.tar\nmd5 stuff\n`),
      (err: unknown) => {
        assert.ok(err instanceof ChecksumListError);
        assert.match(err.message, /line 2/);
        return true;
      },
    );
  });

  it("refuses one name listed with two digests, accepts a repeated identical line", () => {
    assert.equal(parseChecksumList(`${A}  x.tar\n${A}  x.tar\n`).size, 1);
    assert.throws(() => parseChecksumList(`${A}  x.tar\n${B}  x.tar\n`), ChecksumListError);
  });
});

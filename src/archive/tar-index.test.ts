import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidArchiveError } from "./errors.ts";
import { BufferSource } from "./source.ts";
import { indexTar } from "./tar-index.ts";
import { parseHeaderBlock, parseNumber, parsePaxRecords } from "./tar-header.ts";

interface Member {
  name: string;
  data?: Buffer | string;
  type?: string;
  linkname?: string;
  /** Write the size field in base-256 instead of octal. */
  base256?: boolean;
  prefix?: string;
  magic?: "ustar" | "gnu";
}

function header(m: Member, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(m.name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  if (m.base256) {
    h[124] = 0x80;
    h.writeUIntBE(size, 136 - 6, 6);
  } else h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136);
  h.write(m.type ?? "0", 156);
  h.write(m.linkname ?? "", 157, 100);
  if (m.magic === "gnu") h.write("ustar  \0", 257, "latin1");
  else h.write("ustar\x0000", 257, "latin1");
  if (m.prefix) h.write(m.prefix, 345, 155);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return h;
}

function tar(members: Member[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const data = Buffer.from(m.data ?? "");
    parts.push(header(m, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function pax(records: Record<string, string>): string {
  let out = "";
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (Buffer.byteLength(`${len}${body}`) !== len) len++;
    out += `${len}${body}`;
  }
  return out;
}

const index = (bytes: Buffer) => indexTar(new BufferSource(bytes));

describe("tar header parsing", () => {
  it("lists ustar members with data offsets and sizes, and joins the ustar prefix", async () => {
    const bytes = tar([
      { name: "dir/", type: "5" },
      { name: "a.txt", data: "hello" },
      { name: "b", prefix: "long/prefix", data: "xy" },
    ]);
    const entries = await index(bytes);
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.size]),
      [
        ["dir", "directory", 0],
        ["a.txt", "file", 5],
        ["long/prefix/b", "file", 2],
      ],
    );
    const a = entries[1]!;
    assert.equal(bytes.subarray(a.offset, a.offset + a.size).toString(), "hello");
    assert.equal(entries[2]!.offset, 512 * 4);
  });

  it("applies pax path, linkpath and size records to the next member only", async () => {
    const long = `${"d".repeat(150)}/${"f".repeat(120)}`;
    const entries = await index(
      tar([
        { name: "PaxHeaders/x", type: "x", data: pax({ path: long, mtime: "1.5" }) },
        { name: "short", data: "abc" },
        { name: "PaxHeaders/y", type: "x", data: pax({ linkpath: "target/üñí" }) },
        { name: "link", type: "2", linkname: "ignored" },
        { name: "after", data: "z" },
      ]),
    );
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.linkname]),
      [
        [long, "file", ""],
        ["link", "symlink", "target/üñí"],
        ["after", "file", ""],
      ],
    );
    assert.equal(entries[0]!.headerOffset, 0);
  });

  it("takes a pax size over the header's", () => {
    assert.deepEqual(parsePaxRecords(Buffer.from(pax({ size: "9007199254740991" }))), { size: 9007199254740991 });
    assert.throws(() => parsePaxRecords(Buffer.from("5 a=b\n")), InvalidArchiveError);
    assert.throws(() => parsePaxRecords(Buffer.from(pax({ size: "-1" }))), InvalidArchiveError);
  });

  it("reads GNU long names (L) and long link names (K)", async () => {
    const name = `gnu/${"n".repeat(300)}`;
    const entries = await index(
      tar([
        { name: "././@LongLink", type: "L", data: `${name}\0`, magic: "gnu" },
        { name: "truncated", data: "1", magic: "gnu" },
        { name: "././@LongLink", type: "K", data: `${"t".repeat(200)}\0`, magic: "gnu" },
        { name: "hl", type: "1", linkname: "x", magic: "gnu" },
      ]),
    );
    assert.equal(entries[0]!.name, name);
    assert.equal(entries[1]!.linkname, "t".repeat(200));
    assert.equal(entries[1]!.type, "hardlink");
  });

  it("reads base-256 sizes", async () => {
    const entries = await index(tar([{ name: "big", data: "x".repeat(700), base256: true }]));
    assert.equal(entries[0]!.size, 700);
    const block = Buffer.alloc(12);
    block[0] = 0x80;
    block.writeUIntBE(2 ** 40 + 5, 6, 6);
    assert.equal(parseNumber(block, 0, 12, "size"), 2 ** 40 + 5);
    block[0] = 0xff;
    assert.throws(() => parseNumber(block, 0, 12, "size"), InvalidArchiveError);
  });

  it("rejects a bad checksum", async () => {
    const bytes = tar([{ name: "a", data: "hello" }]);
    bytes[0] = "b".charCodeAt(0);
    await assert.rejects(
      index(bytes),
      (err: InvalidArchiveError) => err.code === "INVALID_TAR_HEADER" && /checksum/.test(err.message),
    );
    assert.throws(() => parseHeaderBlock(bytes.subarray(0, 512)), /checksum/);
  });

  it("rejects truncation inside a body, inside a header and after an extension record", async () => {
    const bytes = tar(
      [
        { name: "a", data: "x".repeat(2000) },
        { name: "b", data: "y" },
      ],
      false,
    );
    await assert.rejects(index(bytes.subarray(0, 1500)), (err: InvalidArchiveError) => err.code === "TRUNCATED");
    await assert.rejects(
      index(bytes.subarray(0, 512 * 5 + 100)),
      (err: InvalidArchiveError) => err.code === "TRUNCATED",
    );
    const ext = tar([{ name: "x", type: "x", data: pax({ path: "p" }) }], false);
    await assert.rejects(index(ext), (err: InvalidArchiveError) => err.code === "TRUNCATED");
  });

  it("rejects a size running past the end of the archive", async () => {
    const bytes = Buffer.concat([header({ name: "liar" }, 10_000_000), Buffer.alloc(1024)]);
    await assert.rejects(
      index(bytes),
      (err: InvalidArchiveError) => err.code === "TRUNCATED" && /liar/.test(err.message),
    );
  });

  it("treats link, directory and device sizes as zero", async () => {
    const entries = await index(
      tar([
        { name: "d", type: "5" },
        { name: "f", type: "6" },
      ]),
    );
    assert.deepEqual(
      entries.map((e) => [e.type, e.size]),
      [
        ["directory", 0],
        ["fifo", 0],
      ],
    );
  });
});

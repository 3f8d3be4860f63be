import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, dirname } from "node:path";
import { Readable } from "node:stream";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { describe, it } from "node:test";
import { ExtractionRefusedError } from "./errors.ts";
import { extractLayers, removeExtractionLeftovers, type LayerToExtract } from "./extract.ts";
import { packTar, walk } from "../../test/fuzz/tar-build.ts";

interface E {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "fifo" | "character-device";
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
}

/** Packs with the test suites' tar builder (directories default to 0755, files to 0644). */
const tarOf = (entries: E[]): Promise<Buffer> =>
  packTar(
    entries.map(({ data, ...e }) => ({
      ...e,
      ...(data !== undefined ? { body: data } : {}),
      mode: e.mode ?? (e.type === "directory" ? 0o755 : 0o644),
    })),
  );

const layer = (bytes: Buffer, annotations?: Record<string, string>): LayerToExtract => ({
  open: () => Readable.from([bytes]),
  ...(annotations ? { annotations } : {}),
});

function fresh(): { base: string; target: string } {
  const base = mkdtempSync(join(tmpdir(), "airlift-extract-"));
  return { base, target: join(base, "a", "b", "c", "out") };
}

async function refused(layers: LayerToExtract[], reason: string, options = {}): Promise<void> {
  const { base, target } = fresh();
  await assert.rejects(extractLayers(layers, target, options), (err: ExtractionRefusedError) => {
    assert.ok(err instanceof ExtractionRefusedError, String(err));
    assert.equal(err.reason, reason);
    return true;
  });
  // Nothing left behind: not the target, not a temporary folder.
  assert.deepEqual(
    walk(base).map((p) => relative(base, p)),
    ["a", "a/b", "a/b/c"],
  );
}

describe("extractLayers", () => {
  it("extracts files, folders and in-root links, and lists the files with sizes", async () => {
    const { target } = fresh();
    const bytes = await tarOf([
      { name: "./etc/", type: "directory" },
      { name: "etc/app.yaml", data: "kind: ConfigMap\n" },
      { name: "bin/tool", data: "#!", mode: 0o4755 },
      { name: "etc/link", type: "symlink", linkname: "app.yaml" },
      { name: "etc/hard", type: "link", linkname: "etc/app.yaml" },
    ]);
    const result = await extractLayers([layer(gzipSync(bytes))], target);
    assert.deepEqual(result.files, [
      { path: "bin/tool", size: 2, type: "file" },
      { path: "etc/app.yaml", size: 16, type: "file" },
      { path: "etc/hard", size: 16, type: "file" },
      { path: "etc/link", size: 0, type: "symlink" },
    ]);
    assert.equal(readFileSync(join(target, "etc/link"), "utf8"), "kind: ConfigMap\n");
    assert.equal(statSync(join(target, "bin/tool")).mode & 0o7777, 0o755, "setuid stripped");
  });

  it("reads zstd layers, sniffed by magic bytes", async () => {
    const { target } = fresh();
    await extractLayers([layer(zstdCompressSync(await tarOf([{ name: "z.txt", data: "zstd" }])))], target);
    assert.equal(readFileSync(join(target, "z.txt"), "utf8"), "zstd");
  });

  it("refuses traversal, absolute paths, link escapes and writes through symlinks", async () => {
    await refused(
      [
        layer(
          await tarOf([
            { name: "ok", data: "1" },
            { name: "../../etc/x", data: "pwned" },
          ]),
        ),
      ],
      "PathTraversal",
    );
    await refused([layer(await tarOf([{ name: "/etc/x", data: "pwned" }]))], "PathTraversal");
    await refused(
      [layer(await tarOf([{ name: "evil", type: "symlink", linkname: "../../../../etc" }]))],
      "SymlinkEscape",
    );
    await refused([layer(await tarOf([{ name: "abs", type: "symlink", linkname: "/etc" }]))], "SymlinkEscape");
    await refused(
      [
        layer(
          await tarOf([
            { name: "d", type: "directory" },
            { name: "in", type: "symlink", linkname: "d" },
            { name: "in/x", data: "through" },
          ]),
        ),
      ],
      "SymlinkEscape",
    );
    await refused(
      [layer(await tarOf([{ name: "hl", type: "link", linkname: "../../../etc/passwd" }]))],
      "SymlinkEscape",
    );
    await refused(
      [
        layer(
          await tarOf([
            { name: "s", type: "symlink", linkname: "x" },
            { name: "x", data: "1" },
            { name: "hl", type: "link", linkname: "s" },
          ]),
        ),
      ],
      "UnsupportedEntry",
    );
  });

  it("refuses device files and FIFOs", async () => {
    await refused([layer(await tarOf([{ name: "p", type: "fifo" }]))], "UnsupportedEntry");
    await refused([layer(await tarOf([{ name: "c", type: "character-device" }]))], "UnsupportedEntry");
  });

  it("stops a gzip bomb by the bytes actually expanded, and enforces file and entry caps", async () => {
    const bomb = gzipSync(await tarOf([{ name: "zeros", data: Buffer.alloc(8 << 20) }]));
    assert.ok(bomb.length < 64 << 10);
    await refused([layer(bomb)], "SizeLimit", { maxTotalBytes: 1 << 20 });
    await refused([layer(bomb)], "SizeLimit", { maxFileBytes: 1 << 20 });
    await refused([layer(await tarOf([{ name: "a" }, { name: "b" }, { name: "c" }]))], "EntryLimit", { maxEntries: 2 });
  });

  it("applies whiteouts and opaque folders to lower layers only", async () => {
    const { target } = fresh();
    const lower = await tarOf([
      { name: "a/x", data: "x" },
      { name: "a/y", data: "y" },
      { name: "b/z", data: "z" },
      { name: "b/sub/deep", data: "d" },
      { name: "c", data: "c" },
    ]);
    const upper = await tarOf([
      { name: "b/new", data: "new" },
      { name: "a/.wh.x" },
      { name: ".wh.c" },
      { name: "b/.wh..wh..opq" },
      { name: "a/.wh.never-existed" },
    ]);
    const result = await extractLayers([layer(lower), layer(upper)], target);
    assert.deepEqual(
      result.files.map((f) => f.path),
      ["a/y", "b/new"],
    );
  });

  it("writes ORAS file layers by title, checks the title, and unpacks folders when asked", async () => {
    const { target } = fresh();
    const folder = gzipSync(
      await tarOf([
        { name: "conf/", type: "directory" },
        { name: "conf/a.yaml", data: "a: 1\n" },
      ]),
    );
    const result = await extractLayers(
      [
        layer(Buffer.from("plain file"), { "org.opencontainers.image.title": "docs/readme.txt" }),
        layer(folder, { "org.opencontainers.image.title": "conf", "io.deis.oras.content.unpack": "true" }),
      ],
      target,
    );
    assert.deepEqual(
      result.files.map((f) => f.path),
      ["conf/a.yaml", "docs/readme.txt"],
    );
    await refused([layer(Buffer.from("x"), { "org.opencontainers.image.title": "../escape.txt" })], "PathTraversal");
    const outside = gzipSync(await tarOf([{ name: "other/a", data: "1" }]));
    await refused(
      [layer(outside, { "org.opencontainers.image.title": "conf", "io.deis.oras.content.unpack": "true" })],
      "PathTraversal",
    );
  });

  it("replaces an existing target only when asked", async () => {
    const { target } = fresh();
    await mkdir(target, { recursive: true });
    await assert.rejects(extractLayers([layer(await tarOf([{ name: "n", data: "1" }]))], target), /already exists/);
    await extractLayers([layer(await tarOf([{ name: "n", data: "1" }]))], target, { replace: true });
    assert.deepEqual(readdirSync(target), ["n"]);
    assert.deepEqual(readdirSync(dirname(target)), ["out"]);
  });
});

describe("removeExtractionLeftovers", () => {
  it("removes the extractor's temporary folders a dead process left, and nothing else", async () => {
    const base = mkdtempSync(join(tmpdir(), "airlift-leftovers-"));
    for (const name of [
      ".sha256-ab.extract-0123456789ab",
      ".sha256-ab.old-ba9876543210",
      "sha256-ab",
      ".hidden",
      ".x.extract-short",
    ]) {
      await mkdir(join(base, name, "inner"), { recursive: true });
    }
    const removed = await removeExtractionLeftovers(base);
    assert.deepEqual(removed.sort(), [".sha256-ab.extract-0123456789ab", ".sha256-ab.old-ba9876543210"]);
    assert.deepEqual(readdirSync(base).sort(), [".hidden", ".x.extract-short", "sha256-ab"]);
    assert.deepEqual(await removeExtractionLeftovers(join(base, "missing")), []);
  });
});

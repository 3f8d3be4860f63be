// Extraction end to end: layers of entries with hostile names, symlinks, hardlinks, duplicates and whiteouts are
// extracted or refused (ExtractionRefusedError), and either way nothing is written outside the target and no
// symlink left behind points out of it.
import { lstatSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { ExtractionRefusedError } from "../../src/archive/errors.ts";
import { extractLayers } from "../../src/archive/extract.ts";
import { packTar, walk } from "./tar-build.ts";
import { refusesOnlyWith, type FuzzTarget } from "./target.ts";

const segment = fc.constantFrom("..", ".", "a", "b", "x", "", "etc", ".wh.a", ".wh..wh..opq");
const path = fc
  .tuple(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 5 }))
  .map(([abs, s]) => (abs ? "/" : "") + s.join("/"));
const entry = fc.record({
  name: path,
  type: fc.constantFrom("file" as const, "directory" as const, "symlink" as const, "link" as const),
  linkname: path,
  body: fc.constant("data"),
});

export const extractTarget: FuzzTarget = {
  name: "extractor: layers of hostile entries",
  check: (params) =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(entry, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 2 }),
        async (layers) => {
          const base = mkdtempSync(join(tmpdir(), "airlift-fuzz-extract-"));
          const target = join(base, "a", "b", "out");
          const built = await Promise.all(
            layers.map(async (l) => {
              const bytes = await packTar(
                l.map((e) =>
                  e.type === "file"
                    ? { name: e.name, body: e.body }
                    : e.type === "directory"
                      ? { name: e.name, type: e.type }
                      : { name: e.name, type: e.type, linkname: e.linkname },
                ),
              );
              return { open: () => Readable.from([bytes]) };
            }),
          );
          try {
            await refusesOnlyWith(() => extractLayers(built, target), [ExtractionRefusedError]);
            checkInside(base, target);
          } finally {
            rmSync(base, { recursive: true, force: true });
          }
        },
      ),
      params,
    ),
};

/** Fails when anything under `base` lies outside `target` or is a symlink leading out of it. */
function checkInside(base: string, target: string): void {
  for (const p of walk(base)) {
    const rel = relative(base, p);
    if (!["a", "a/b", "a/b/out"].includes(rel) && !rel.startsWith("a/b/out/"))
      throw new Error(`written outside the target: ${rel}`);
    if (lstatSync(p).isSymbolicLink()) {
      const link = readlinkSync(p);
      if (isAbsolute(link) || relative(target, resolve(dirname(p), link)).startsWith(".."))
        throw new Error(`symlink escapes: ${rel} -> ${link}`);
    }
  }
}

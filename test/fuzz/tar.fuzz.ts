// The tar index over a random-access source: tars written by tar-stream, then with bytes overwritten (headers,
// checksums, sizes, pax records) and cut short, are indexed or refused with ArchiveError; every indexed member
// lies inside the archive.
import fc from "fast-check";
import { ArchiveError } from "../../src/archive/errors.ts";
import { BufferSource } from "../../src/archive/source.ts";
import { indexTar } from "../../src/archive/tar-index.ts";
import { fixChecksum, mutate, packTar, type TarEntry } from "./tar-build.ts";
import { refusesOnlyWith, type FuzzTarget } from "./target.ts";

const name = fc.oneof(
  fc.constantFrom("a", "dir/b.txt", "manifest.json", "x".repeat(120) + "/long-name", "blobs/sha256/" + "d".repeat(64)),
  fc.string({ minLength: 1, maxLength: 30 }),
);
export const tarEntry: fc.Arbitrary<TarEntry> = fc.oneof(
  fc.record({ name, body: fc.string({ maxLength: 700 }) }),
  fc.record({ name, type: fc.constant("directory" as const) }),
  fc.record({ name, type: fc.constantFrom("symlink" as const, "link" as const), linkname: name }),
);
// Half the edits land in the first header block, where checksums, sizes and types live.
const edit = fc.record({ at: fc.oneof(fc.nat(511), fc.nat()), value: fc.nat(255) });

export const tarTarget: FuzzTarget = {
  name: "tar index: written tars with overwritten bytes, cut short",
  check: (params) =>
    fc.assert(
      fc.asyncProperty(
        fc.array(tarEntry, { minLength: 1, maxLength: 5 }),
        fc.array(edit, { maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        async (entries, edits, cutAt, fix) => {
          // With the first header's checksum fixed up, edits to its size, type and name fields reach their parsers.
          const edited = mutate(await packTar(entries), edits, cutAt);
          const bytes = fix ? fixChecksum(edited) : edited;
          const members = await refusesOnlyWith(() => indexTar(new BufferSource(bytes)), [ArchiveError]);
          for (const m of members ?? []) {
            if (m.offset < 0 || m.offset + m.size > bytes.length)
              throw new Error(`member ${m.name} at ${m.offset}+${m.size} lies outside ${bytes.length} bytes`);
          }
        },
      ),
      params,
    ),
};

// The extractor's path rules as pure functions: names and link targets built from hostile pieces are refused with
// ExtractionRefusedError, or resolve inside the root.
import { posix } from "node:path";
import fc from "fast-check";
import { ExtractionRefusedError } from "../../src/archive/errors.ts";
import { checkSymlinkTarget, entrySegments } from "../../src/archive/extract-paths.ts";
import { refusesOnlyWith, type FuzzTarget } from "./target.ts";

export const hostilePath = fc
  .array(
    fc.constantFrom(
      "..",
      ".",
      "/",
      "a",
      "b",
      "\\",
      "C:",
      "C:\\",
      "\\\\srv",
      "\0",
      ".wh.",
      ".wh..wh..opq",
      "~",
      "%2e%2e",
      "...",
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(""));
const ROOT = "/root";

function inside(path: string): boolean {
  return path === ROOT || path.startsWith(`${ROOT}/`);
}

export const pathsTarget: FuzzTarget = {
  name: "extract path rules: hostile entry names and link targets",
  check: (params) =>
    fc.assert(
      fc.asyncProperty(hostilePath, hostilePath, async (name, target) => {
        const segments = await refusesOnlyWith(() => entrySegments(name), [ExtractionRefusedError]);
        if (segments === undefined) return;
        if (segments.some((s) => s === ".." || s === "." || s === "" || s.includes("/")))
          throw new Error(`${JSON.stringify(name)} gave segments ${JSON.stringify(segments)}`);
        if (!inside(posix.resolve(ROOT, ...segments)))
          throw new Error(`${JSON.stringify(name)} resolves outside the root`);
        if (segments.length === 0) return;
        const ok = await refusesOnlyWith(
          () => (checkSymlinkTarget(segments, target, name), true),
          [ExtractionRefusedError],
        );
        if (ok && !inside(posix.resolve(posix.dirname(posix.join(ROOT, ...segments)), target))) {
          throw new Error(`symlink ${JSON.stringify(name)} -> ${JSON.stringify(target)} accepted but leaves the root`);
        }
      }),
      params,
    ),
};

// The reference parser: strings made of reference-like pieces and stray characters either parse into a reference
// that formats and re-parses to itself, or are refused with InvalidInputError.
import fc from "fast-check";
import { InvalidInputError } from "../../src/oci/errors.ts";
import { formatReference, parseReference } from "../../src/oci/reference.ts";
import { refusesOnlyWith, type FuzzTarget } from "./target.ts";

const piece = fc.oneof(
  fc.constantFrom(
    "localhost",
    "localhost:5000",
    "harbor.example.com",
    "127.0.0.1:443",
    "[::1]:5000",
    "docker.io",
    "library",
    "a",
    "team-a",
    "app_1",
    "x.y-z",
  ),
  fc.constantFrom(
    "/",
    ":",
    "@",
    "sha256:",
    "..",
    "//",
    "__",
    "-",
    ".",
    ":v1",
    ":latest",
    "@sha256:" + "a".repeat(64),
    "@sha512:" + "b".repeat(128),
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 4 }),
);

export const referenceTarget: FuzzTarget = {
  name: "reference parser: reference-like strings",
  check: (params) =>
    fc.assert(
      fc.asyncProperty(
        fc.array(piece, { maxLength: 10 }).map((parts) => parts.join("")),
        async (text) => {
          const ref = await refusesOnlyWith(() => parseReference(text), [InvalidInputError]);
          if (ref === undefined) return;
          const again = parseReference(formatReference(ref));
          if (formatReference(again) !== formatReference(ref))
            throw new Error(`${text} formats as ${formatReference(ref)}, which re-parses as ${formatReference(again)}`);
        },
      ),
      params,
    ),
};

// The README's reason table is the catalogue's (src/api/conditions.ts): users alert on these names, so the
// documentation may not drift from what the operator writes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { REASONS } from "../../src/api/conditions.ts";
import { withReasonTable } from "../../scripts/reason-table.ts";

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "README.md"), "utf8");

it("README lists every reason of the catalogue with its meaning, as generated", () => {
  assert.equal(
    readme,
    withReasonTable(readme),
    "README's reason table differs from the catalogue: run `npm run docs:reasons`",
  );
  for (const reason of Object.keys(REASONS)) assert.ok(readme.includes(`| \`${reason}\` |`), reason);
});

// The YAML loader: documents made of manifest-like YAML with anchors, aliases, tags, tabs and stray document
// markers spliced in are loaded or refused with LoadError; whatever loads is a manifest with a kind and a name.
import fc from "fast-check";
import { stringify } from "yaml";
import { LoadError } from "../../src/sync/errors.ts";
import { parseManifests } from "../../src/sync/loader.ts";
import { refusesOnlyWith, type FuzzTarget } from "./target.ts";

const base = fc.record({
  apiVersion: fc.constantFrom("v1", "apps/v1", "", 1),
  kind: fc.constantFrom("ConfigMap", "List", "Deployment", "", null),
  metadata: fc.oneof(
    fc.record({ name: fc.string({ maxLength: 10 }), namespace: fc.option(fc.string({ maxLength: 10 })) }),
    fc.jsonValue(),
  ),
  data: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })),
  items: fc.option(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 })),
});
const splice = fc.constantFrom(
  "&a ",
  "*a",
  "&b [*a, *a, *a]",
  "<<: *a\n",
  "---\n",
  "...\n",
  "\t",
  "!!binary ",
  "!custom ",
  ": ",
  "- ",
  "{",
  "]",
  "%YAML 1.2\n",
  "? ",
  "|\n  x",
  '"\\u0000"',
  "key: &x {a: *x}\n",
);
const edit = fc.record({ at: fc.nat(), text: splice });

export const yamlTarget: FuzzTarget = {
  name: "YAML loader: manifests with anchors, aliases, tags and junk spliced in",
  check: (params) =>
    fc.assert(
      fc.asyncProperty(
        fc.array(base, { minLength: 1, maxLength: 3 }),
        fc.array(edit, { maxLength: 5 }),
        async (docs, edits) => {
          let text = docs.map((d) => stringify(d)).join("---\n");
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            text = text.slice(0, at) + e.text + text.slice(at);
          }
          const manifests = await refusesOnlyWith(() => parseManifests(text, "fuzz.yaml"), [LoadError]);
          for (const m of manifests ?? []) {
            const o = m.object;
            if (typeof o.kind !== "string" || o.kind === "" || typeof o.metadata.name !== "string")
              throw new Error(`loaded a manifest without kind or name: ${JSON.stringify(o).slice(0, 200)}`);
          }
        },
      ),
      params,
    ),
};

// The committed CRD YAML (crds/ and the chart's copy) is exactly what the TypeScript schema generates.
// On failure, regenerate: npx node src/api/generate-crds.ts
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { allCrdFiles } from "./crds.ts";
import { CRD_DIRS, REPO_ROOT } from "./generate-crds.ts";
import { ALL_KINDS, CATEGORY, crdName } from "./group-version.ts";

describe("generated CRDs", () => {
  const expected = allCrdFiles();
  for (const dir of CRD_DIRS) {
    it(`${dir}/ holds exactly the generated CRDs (run: npx node src/api/generate-crds.ts)`, () => {
      const committed = readdirSync(join(REPO_ROOT, dir))
        .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
        .sort();
      assert.deepEqual(committed, [...expected.keys()].sort());
      const stale = [...expected]
        .filter(([name, text]) => readFileSync(join(REPO_ROOT, dir, name), "utf8") !== text)
        .map(([name]) => name);
      assert.deepEqual(stale, [], `stale files in ${dir}/: regenerate with npx node src/api/generate-crds.ts`);
    });
  }

  it("each CRD is namespaced, in the airlift category, with a status subresource and the printer columns", () => {
    for (const kind of ALL_KINDS) {
      const crd = parse(expected.get(`${kind.group}_${kind.plural}.yaml`) ?? "") as {
        metadata: { name: string };
        spec: {
          scope: string;
          names: { categories: string[] };
          versions: { subresources: unknown; additionalPrinterColumns: { name: string }[] }[];
        };
      };
      assert.equal(crd.metadata.name, crdName(kind));
      assert.equal(crd.spec.scope, "Namespaced");
      assert.deepEqual(crd.spec.names.categories, [CATEGORY]);
      const version = crd.spec.versions[0]!;
      assert.deepEqual(version.subresources, { status: {} });
      const columns = version.additionalPrinterColumns.map((c) => c.name);
      for (const name of ["Ready", "Reason", "Digest", "Age"])
        assert.ok(columns.includes(name), `${kind.kind} lacks column ${name}`);
    }
  });

  it("short names are unique across the three kinds", () => {
    const names = ALL_KINDS.flatMap((k) => k.shortNames);
    assert.equal(new Set(names).size, names.length);
  });
});

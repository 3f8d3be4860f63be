// Writes crds/*.yaml and charts/airlift/files/crds/*.yaml from the TypeScript schema:
//   npx node src/api/generate-crds.ts
// crds-generated.test.ts fails when the committed files differ from what this writes. The chart keeps its copy
// under files/ (not crds/, which Helm installs once and never upgrades): templates/crds.yaml renders it behind
// `crds.enabled`, so `helm upgrade` updates the CRDs, like cert-manager's chart.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { allCrdFiles } from "./crds.ts";

/** Folders that hold a copy of the CRDs, relative to the repository root. */
export const CRD_DIRS = ["crds", "charts/airlift/files/crds"] as const;

/** The repository root (two levels above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Writes every CRD file into every CRD folder; returns the paths written. */
export function writeCrds(root: string = REPO_ROOT): string[] {
  const written: string[] = [];
  for (const dir of CRD_DIRS) {
    mkdirSync(join(root, dir), { recursive: true });
    for (const [name, text] of allCrdFiles()) {
      const path = join(root, dir, name);
      writeFileSync(path, text);
      written.push(path);
    }
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const path of writeCrds()) console.log(`wrote ${path}`);
}

// The shape of src/ as a test: imports point down the floors of docs/DESIGN.md, never sideways between folders of one
// floor (sync -> kube excepted), controllers reach the engine only through transfer, and no file takes part in an
// import circle. Reads the import statements as text, so it needs no build and fails on the first forbidden edge.
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Floor of each top-level folder of src/, top (7) to bottom (1). */
export const FLOORS: Record<string, number> = {
  cli: 7,
  controllers: 6,
  transfer: 5,
  sync: 5,
  kube: 5,
  storage: 4,
  harbor: 4,
  verify: 4,
  archive: 3,
  oci: 3,
  ocispec: 2,
  api: 1,
  net: 1,
  observability: 1,
};

/** Same-floor edges that are allowed (the sync engine applies through the controller runtime's client). */
const SIDEWAYS_ALLOWED = new Set(["sync->kube"]);

/** What controllers may import: the engine only through transfer (and sync), never its adapters. */
const CONTROLLER_IMPORTS = new Set(["api", "kube", "sync", "transfer", "net", "observability", "controllers"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Relative imports of a file, resolved to paths below src/ (imports of packages and node: are left out). */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (spec?.startsWith(".")) out.push(relative(SRC, resolve(dirname(file), spec)));
  }
  return out;
}

function folderOf(path: string): string {
  return path.split("/")[0] ?? "";
}

/** Every forbidden edge `from -> to` with why. */
export function layerViolations(edges: ReadonlyMap<string, readonly string[]>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of edges) {
    const a = folderOf(from);
    for (const to of tos) {
      const b = folderOf(to);
      if (a === b) continue;
      const fa = FLOORS[a];
      const fb = FLOORS[b];
      if (fa === undefined || fb === undefined) bad.push(`${from} -> ${to}: folder without a floor (add it to FLOORS)`);
      else if (fa < fb) bad.push(`${from} -> ${to}: ${a} (floor ${fa}) imports upward into ${b} (floor ${fb})`);
      else if (fa === fb && !SIDEWAYS_ALLOWED.has(`${a}->${b}`))
        bad.push(`${from} -> ${to}: sideways between ${a} and ${b}`);
      else if (a === "controllers" && !CONTROLLER_IMPORTS.has(b))
        bad.push(`${from} -> ${to}: controllers reach past transfer into ${b}`);
      else if (a === "transfer" && (b === "kube" || b === "sync"))
        bad.push(`${from} -> ${to}: the engine must know nothing of Kubernetes`);
    }
  }
  return bad;
}

/** Import circles (strongly connected components of more than one file, or a file importing itself). */
export function importCircles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) circles.push(component.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return circles;
}

function graphOfSrc(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) edges.set(relative(SRC, file), importsOf(file, readFileSync(file, "utf8")));
  return edges;
}

describe("the import graph of src/", () => {
  const edges = graphOfSrc();

  it("reads every source file and its imports", () => {
    assert.ok(edges.size > 50, `only ${edges.size} files read`);
    assert.ok([...edges.values()].some((tos) => tos.length > 0));
  });

  it("points down the floors, with no sideways edge and controllers reaching the engine only through transfer", () => {
    assert.deepEqual(layerViolations(edges), []);
  });

  it("has no import circle", () => {
    assert.deepEqual(importCircles(edges), []);
  });
});

describe("the layer rules themselves", () => {
  const g = (pairs: [string, string[]][]): Map<string, string[]> => new Map(pairs);

  it("refuses an upward, a sideways and a controller-to-adapter edge", () => {
    const bad = layerViolations(
      g([
        ["archive/a.ts", ["storage/s.ts"]],
        ["oci/o.ts", ["archive/b.ts"]],
        ["controllers/c.ts", ["oci/o.ts"]],
        ["transfer/t.ts", ["kube/k.ts"]],
        ["sync/s.ts", ["kube/k.ts"]],
        ["cli/m.ts", ["controllers/c.ts", "oci/o.ts"]],
      ]),
    );
    assert.equal(bad.length, 4, bad.join("\n"));
    assert.match(bad[0]!, /upward/);
    assert.match(bad[1]!, /sideways/);
    assert.match(bad[2]!, /reach past transfer/);
    assert.match(bad[3]!, /sideways|Kubernetes/);
  });

  it("finds a circle of three files and a file importing itself, and nothing in a tree", () => {
    assert.deepEqual(
      importCircles(
        g([
          ["a", ["b"]],
          ["b", ["c"]],
          ["c", ["a"]],
          ["d", ["d"]],
        ]),
      ),
      [["a", "b", "c"], ["d"]],
    );
    assert.deepEqual(
      importCircles(
        g([
          ["a", ["b", "c"]],
          ["b", ["c"]],
          ["c", []],
        ]),
      ),
      [],
    );
  });

  it("reads import, export-from and dynamic import forms", () => {
    const text =
      'import { a } from "./a.ts";\nimport type { B } from "../oci/b.ts";\nexport * from "./c.ts";\nconst d = await import("../net/d.ts");\nimport x from "node:fs";';
    assert.deepEqual(importsOf(join(SRC, "archive/x.ts"), text), [
      "archive/a.ts",
      "oci/b.ts",
      "archive/c.ts",
      "net/d.ts",
    ]);
  });
});

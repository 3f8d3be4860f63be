// The reason catalogue against the source: every reason literal the code under src/ can write (a `reason:` or a
// stage error's `code:`, the first argument of StallingError / WaitingError / TransientError / SyncError /
// LoadError, a reason argument of the mark* condition helpers) must be in conditions.ts's REASONS, and every reason
// of the catalogue must be written somewhere (a table of reasons nobody emits is what this catalogue replaced).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ALL_REASONS, REASON_PATTERN, isReason } from "./conditions.ts";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CATALOGUE = join(SRC, "api", "conditions.ts");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** A reason-like token: one PascalCase word, no spaces (prose such as a prune's "already deleted" is not a reason). */
const TOKEN = /^[A-Z][A-Za-z0-9]*$/;
const ERRORS = "StallingError|WaitingError|TransientError|SyncError|LoadError";
/** Positions where a literal is written as a reason. */
const WRITES: readonly RegExp[] = [
  /\breason\s*:\s*(["'`])([^"'`]*)\1/g,
  new RegExp(`\\bnew\\s+(?:${ERRORS})\\(\\s*(["'\`])([^"'\`]*)\\1`, "g"),
  /\bmark(?:Stalled|Retrying)\([^;]*?,\s*[^,;]*?,\s*(["'`])([^"'`]*)\1/g,
  /\bmark(?:Ready|Reconciling)\([^;]*?,\s*[^,;]*?,\s*[^;]*?,\s*(["'`])([^"'`]*)\1\s*\)/g,
];
/** Stage error codes are reasons too, where the sync engine and the controllers write them. */
const CODE_WRITE = /\bcode\s*:\s*(["'`])([^"'`]*)\1/g;
/** A reason computed from a template literal (one word, no spaces) cannot be checked against the catalogue. */
const TEMPLATE_REASON = new RegExp(
  `(?:\\breason\\s*:|\\bnew\\s+(?:${ERRORS})\\()\\s*\`[^\`\\s]*\\$\\{[^\`\\s]*\``,
  "g",
);

/** One problem: a literal written as a reason that the catalogue does not list. */
export interface Finding {
  file: string;
  line: number;
  text: string;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

/** The reason literals of one file that the catalogue does not hold, and the template-literal reasons. */
export function unlistedReasons(file: string, text: string): Finding[] {
  const found: Finding[] = [];
  const patterns = /\/(sync|controllers)\//.test(file) ? [...WRITES, CODE_WRITE] : WRITES;
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) {
      const literal = m[2] ?? "";
      if (m[1] === "`" && literal.includes("${")) continue;
      if (TOKEN.test(literal) && !isReason(literal)) found.push({ file, line: lineOf(text, m.index), text: literal });
    }
  }
  for (const m of text.matchAll(TEMPLATE_REASON)) found.push({ file, line: lineOf(text, m.index), text: m[0] });
  return found;
}

describe("the reason catalogue", () => {
  const files = sourceFiles(SRC).filter((f) => f !== CATALOGUE);
  const texts = new Map(files.map((f) => [f, readFileSync(f, "utf8")]));

  it("lists every reason the code under src/ writes", () => {
    const findings = [...texts].flatMap(([file, text]) => unlistedReasons(relative(SRC, file), text));
    assert.deepEqual(
      findings.map((f) => `${f.file}:${f.line} ${f.text}`),
      [],
    );
  });

  it("holds no reason that nothing writes", () => {
    const all = [...texts.values()].join("\n");
    const unused = ALL_REASONS.filter((r) => !all.includes(`"${r}"`));
    assert.deepEqual(unused, []);
  });

  it("gives every reason a PascalCase name the API server accepts", () => {
    const re = new RegExp(REASON_PATTERN);
    for (const reason of ALL_REASONS) {
      assert.match(reason, re);
      assert.match(reason, TOKEN, `${reason} is not PascalCase`);
    }
  });

  it("catches an unlisted literal in each position, and a computed one", () => {
    const code = [
      'throw new StallingError("NoSuchReason", "x");',
      'await events.event(obj, { type: "Warning", reason: "AlsoMissing", action: "Sync", note: "n" });',
      'markStalled(c, gen, "StalledTypo", "message");',
      'markReady(c, gen, "done", "ReadyTypo");',
      'throw new WaitingError(`${kind}NotFound`, "m", 1000);',
      'return { kind: "abandoned", reason: "already deleted" };',
      'throw new TransientError("ApplyFailed", "listed");',
    ].join("\n");
    const found = unlistedReasons("src/x.ts", code).map((f) => f.text);
    assert.deepEqual(found.slice(0, 4), ["AlsoMissing", "NoSuchReason", "StalledTypo", "ReadyTypo"]);
    assert.equal(found.length, 5);
    assert.match(found[4] ?? "", /WaitingError\(`\$\{/);
    assert.deepEqual(
      unlistedReasons("src/sync/x.ts", 'errors.push({ code: "BadCode", message: "m" });').map((f) => f.text),
      ["BadCode"],
    );
  });
});

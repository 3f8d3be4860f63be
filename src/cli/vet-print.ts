// How `airlift vet` prints its result: one `file:line: message` line per finding (as compilers do, so editors jump
// to it) and a summary line on stderr, or one JSON document on stdout with --json.
import type { VetResult } from "../sync/vet-bundle.ts";
import type { CliIO } from "./command.ts";

/** Prints the findings and the summary. */
export function printVetResult(
  result: VetResult,
  about: { bundle: string; json: boolean; schemas: boolean },
  io: CliIO,
): void {
  if (about.json) {
    const doc = {
      bundle: about.bundle,
      objects: result.objects,
      schemasChecked: about.schemas,
      findings: result.findings,
      images: result.images,
    };
    io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  for (const f of result.findings) {
    const at = f.line === undefined ? f.file : `${f.file}:${f.line}`;
    io.stdout.write(`${at}: ${f.message}\n`);
  }
  // The images to carry across the gap with the bundle, on stderr beside the summary (stdout: findings only).
  for (const i of result.images) io.stderr.write(`image: ${i.image} (${i.object} ${i.container}, ${i.source})\n`);
  const n = result.findings.length;
  io.stderr.write(
    n === 0
      ? `${about.bundle}: ${result.objects} objects, no findings\n`
      : `${about.bundle}: ${result.objects} objects, ${n} finding${n === 1 ? "" : "s"}\n`,
  );
}

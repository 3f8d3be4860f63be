// `airlift convert FILE|-`: moving from Config Sync. Each RootSync / RepoSync with `sourceType: oci` in the file
// (several documents allowed) becomes an OciSync on stdout (convert-map.ts has the field mapping); every field that
// could not be carried is printed above its object as a YAML comment and on stderr as a warning, and a converted
// object the OciSync schema would refuse (a runbook placeholder left in the image, say) is a warning too.
// Exit 0 when at least one object was converted, 1 when none could be (or the input does not parse), 2 usage.
import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { Command } from "commander";
import { parseAllDocuments, stringify } from "yaml";
import { OCI_SYNC } from "../api/group-version.ts";
import { objectIssues } from "../api/parse.ts";
import { CliError, EXIT_FAILURE, EXIT_OK, type CliContext, type CliIO } from "./command.ts";
import { convertDocument, type Conversion } from "./convert-map.ts";

interface ConvertFlags {
  namespace: string;
}

async function readInput(file: string): Promise<string> {
  try {
    return file === "-" ? await text(process.stdin) : await readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The documents of `source`; a YAML syntax error fails the whole input (nothing is half-converted). */
function documents(source: string, file: string): unknown[] {
  const docs = parseAllDocuments(source);
  const list = Array.isArray(docs) ? docs : [docs];
  const bad = list.find((d) => d.errors.length > 0);
  if (bad) throw new CliError(`${file} is not valid YAML: ${bad.errors[0]?.message ?? "parse error"}`);
  return list.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
}

/** The YAML text of one conversion: comments for what was not carried, then the object. */
function render(c: Conversion): string {
  const lines = [`# converted from ${c.source} by airlift convert`];
  for (const d of c.dropped) lines.push(`# not carried: ${d.path}: ${d.value} (${d.why})`);
  const issues = c.object ? objectIssues(OCI_SYNC, c.object) : [];
  for (const i of issues) lines.push(`# check before applying: ${i.path}: ${i.message}`);
  return `${lines.join("\n")}\n${stringify(c.object, { lineWidth: 0 })}`;
}

function warn(io: CliIO, c: Conversion): void {
  for (const d of c.dropped) io.stderr.write(`warning: ${c.source}: ${d.path}: ${d.value} not carried: ${d.why}\n`);
  const issues = c.object ? objectIssues(OCI_SYNC, c.object) : [];
  for (const i of issues)
    io.stderr.write(`warning: ${c.source}: the OciSync would be refused: ${i.path}: ${i.message}\n`);
}

/** Converts `file` and prints the result; returns the exit code. */
export async function convert(file: string, flags: ConvertFlags, io: CliIO): Promise<number> {
  const conversions = documents(await readInput(file), file).map((d) =>
    convertDocument(d, { rootNamespace: flags.namespace }),
  );
  for (const c of conversions) warn(io, c);
  const converted = conversions.filter((c) => c.object !== undefined);
  io.stdout.write(converted.map(render).join("---\n"));
  if (converted.length > 0) return EXIT_OK;
  io.stderr.write(`error: nothing in ${file} could be converted (no RootSync or RepoSync with sourceType: oci)\n`);
  return EXIT_FAILURE;
}

/** The `convert` command. */
export function command(ctx: CliContext): Command {
  return new Command("convert")
    .description(
      "Convert Config Sync RootSync / RepoSync objects (sourceType: oci) into OciSyncs on stdout; fields that cannot be carried are printed as comments and warnings.",
    )
    .argument("<file>", "YAML file with one or more documents, or - for stdin")
    .option(
      "-n, --namespace <namespace>",
      "namespace of a converted RootSync: the operator's own, which makes it a root sync (a RepoSync keeps its namespace)",
      "airlift-system",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  airlift convert root-sync.yaml | kubectl apply -f -\n  kubectl get rootsync root-sync -n config-management-system -o yaml | airlift convert -\n\nExit codes: 0 converted, 1 nothing could be converted (or the input does not parse), 2 usage",
    )
    .action(async (file: string, flags: ConvertFlags) => {
      ctx.exitCode = await convert(file, flags, ctx.io);
    });
}

// `airlift vet BUNDLE`: before a bundle is carried across the gap, render and load it as the operator would and
// report what a sync would refuse (sync/vet-bundle.ts), as `file:line: message` lines or --json. Schemas come from
// a file exported on the connected side (`airlift vet --export-schemas FILE --kubeconfig ...`) or, live, from the
// cluster --kubeconfig / --context name. Exit 0 clean, 1 findings, 2 usage.
import { Command, Option } from "commander";
import { KubeClient } from "../kube/rest-client.ts";
import type { Manifest, RenderMode } from "../sync/index.ts";
import { LiveSchemas, readSchemaFile, writeSchemaFile, type SchemaSet } from "../sync/schema-set.ts";
import { SchemaValidator } from "../sync/schema-validate.ts";
import { vetBundle, type VetResult } from "../sync/vet-bundle.ts";
import { openBundle } from "./bundle-input.ts";
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliContext, type CliIO } from "./command.ts";
import { kubeFailure } from "./kube-errors.ts";
import { addKubeFlags, kubeConnection, type KubeFlags } from "./kube-flags.ts";
import {
  addRegistryFlags,
  addRenderFlags,
  imageConnection,
  kustomizeBinary,
  substitutionVars,
  type RegistryFlags,
  type RenderFlags,
} from "./render-flags.ts";
import { printVetResult } from "./vet-print.ts";

interface VetFlags extends KubeFlags, RegistryFlags, RenderFlags {
  dir?: string;
  render: RenderMode;
  var: string[];
  varsFile?: string;
  namespace?: string;
  schemas?: string;
  exportSchemas?: string;
  json?: boolean;
}

/** The cluster the kube flags name, as a client (only when a flag names one: vet is offline by default). */
function liveClient(flags: VetFlags, io: CliIO): { client: KubeClient; server: string; context: string } | undefined {
  if (flags.kubeconfig === undefined && flags.context === undefined) return undefined;
  const conn = kubeConnection(flags, io.env);
  return {
    client: new KubeClient(conn.kubeConfig),
    server: conn.kubeConfig.getCurrentCluster()?.server ?? "",
    context: conn.context,
  };
}

async function exportSchemas(file: string, flags: VetFlags, io: CliIO): Promise<number> {
  const live = liveClient(flags, io);
  if (!live) throw new UsageError("--export-schemas reads a cluster: give --kubeconfig or --context");
  try {
    const schemas = new LiveSchemas(live.client);
    await schemas.loadAll();
    await writeSchemaFile(file, schemas.set, live.server);
    io.stdout.write(
      `wrote ${Object.keys(schemas.set.schemas).length} schemas of ${schemas.set.resources.length} kinds from ${live.server} to ${file}\n`,
    );
    return EXIT_OK;
  } catch (err) {
    throw kubeFailure(err, live.server, live.context, 60_000);
  } finally {
    await live.client.close();
  }
}

/** How the schema checks are built: from the file, live from the cluster, or none. */
function schemaSource(
  flags: VetFlags,
  io: CliIO,
): { build?: (m: readonly Manifest[]) => Promise<SchemaValidator>; close: () => Promise<void> } {
  if (flags.schemas !== undefined) {
    const file = flags.schemas;
    return {
      build: async (m) => new SchemaValidator(await readSchemaFileOrFail(file), m),
      close: () => Promise.resolve(),
    };
  }
  const live = liveClient(flags, io);
  if (!live) return { close: () => Promise.resolve() };
  const build = async (manifests: readonly Manifest[]): Promise<SchemaValidator> => {
    const schemas = new LiveSchemas(live.client);
    try {
      for (const v of new Set(["v1", ...manifests.map((m) => m.object.apiVersion)])) await schemas.load(v);
    } catch (err) {
      throw kubeFailure(err, live.server, live.context, 60_000);
    }
    return new SchemaValidator(schemas.set, manifests);
  };
  return { build, close: () => live.client.close() };
}

async function readSchemaFileOrFail(file: string): Promise<SchemaSet> {
  try {
    return await readSchemaFile(file);
  } catch (err) {
    throw new UsageError(`--schemas ${file}: ${(err as Error).message}`);
  }
}

async function vet(input: string, flags: VetFlags, io: CliIO): Promise<number> {
  if (flags.schemas !== undefined && (flags.kubeconfig !== undefined || flags.context !== undefined))
    throw new UsageError("give either --schemas FILE (offline) or --kubeconfig / --context (live), not both");
  const substitute = substitutionVars(flags.var, flags.varsFile);
  const schemas = schemaSource(flags, io);
  const bundle = await openBundle(input, {
    platform: flags.platform,
    connection: (image) => imageConnection(image, flags, io, "vet"),
    signal: AbortSignal.timeout(600_000),
  });
  let result: VetResult;
  try {
    result = await vetBundle({
      root: bundle.root,
      dir: flags.dir,
      render: {
        mode: flags.render,
        kustomize: kustomizeBinary(flags.kustomize, io.env),
        limits: { timeoutMs: flags.kustomizeTimeout },
      },
      substitute,
      scope: flags.namespace ? { kind: "namespace", namespace: flags.namespace } : { kind: "cluster" },
      schemas: schemas.build,
    });
  } finally {
    await schemas.close();
    await bundle.close();
  }
  if (!schemas.build && !flags.json)
    io.stderr.write(
      "airlift vet: warning: no --schemas or --kubeconfig: kinds, cluster scope and schemas were not checked\n",
    );
  printVetResult(result, { bundle: bundle.label, json: flags.json === true, schemas: schemas.build !== undefined }, io);
  return result.findings.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** The `vet` command. */
export function command(ctx: CliContext): Command {
  const cmd = new Command("vet")
    .description(
      "Render and check a bundle offline as the operator would load it: kustomize, substitution, the loader, the scope rules of a root or namespace sync, duplicates, and schemas against a cluster's OpenAPI (live or exported).",
    )
    .argument("[bundle]", "a directory, a tar / tar.gz, an OCI image layout, or an image reference")
    .option("--dir <path>", "the folder inside the bundle, as spec.oci.dir (default: its root)")
    .addOption(
      new Option("--render <mode>", "as spec.render: auto, kustomize or none")
        .choices(["auto", "kustomize", "none"])
        .default("auto"),
    )
    .option(
      "--var <name=value>",
      "a substitution variable, as spec.substitute (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option(
      "--vars-file <file>",
      "substitution variables from a YAML map of NAME: value (as spec.substitute); --var wins",
    )
    .option("-n, --namespace <namespace>", "check as a tenant sync scoped to this namespace (default: a root sync)")
    .option("--schemas <file>", "check schemas against a file written by --export-schemas (offline)")
    .option("--export-schemas <file>", "write the cluster's schemas (--kubeconfig / --context) to this file and exit")
    .option("--json", "print the findings as JSON on stdout");
  addRenderFlags(cmd);
  addRegistryFlags(cmd);
  addKubeFlags(cmd);
  return cmd
    .addHelpText(
      "after",
      "\nExamples:\n  airlift vet --export-schemas site-a.schemas.json --context site-a      # connected side\n  airlift vet ./repo --dir overlays/site-a --var DOMAIN=site-a.example --schemas site-a.schemas.json\n  airlift vet harbor.example.com/apps/demo:1.1.0 --namespace team-a --kubeconfig ~/.kube/site-a\n\nExit codes: 0 clean, 1 findings (or a failure), 2 usage",
    )
    .action(async (input: string | undefined, flags: VetFlags) => {
      if (flags.exportSchemas !== undefined) {
        if (input !== undefined) throw new UsageError("--export-schemas takes no bundle");
        ctx.exitCode = await exportSchemas(flags.exportSchemas, flags, ctx.io);
        return;
      }
      if (input === undefined) throw new UsageError("a bundle is required (a directory, tar, OCI layout or image)");
      ctx.exitCode = await vet(input, flags, ctx.io);
    });
}

// `airlift diff OCISYNC [--image REF]`: what the next sync of an OciSync would do, against the cluster and without
// changing it: its image (or --image) fetched and rendered as the operator would, each object server-side dry-run
// applied with the operator's field manager, the inventory compared for what would be pruned and the prune
// safeguards asked (diff-plan.ts). Exit 0 when nothing would change, 1 when something would, as `kubectl diff`.
import { Command, Option } from "commander";
import { KubeClient } from "../kube/rest-client.ts";
import { ApiError } from "../kube/api-error.ts";
import { SyncError } from "../sync/errors.ts";
import { CliError, EXIT_FAILURE, EXIT_OK, type CliContext, type CliIO } from "./command.ts";
import { planSync } from "./diff-plan.ts";
import { imageLines } from "./diff-images.ts";
import { planCounts, printPlan } from "./diff-print.ts";
import { fetchSource, readOciSync, syncValues } from "./diff-source.ts";
import { StallingError, WaitingError } from "../kube/errors.ts";
import { kubeFailure } from "./kube-errors.ts";
import { addKubeFlags, kubeConnection, type KubeFlags } from "./kube-flags.ts";
import {
  addRegistryFlags,
  addRenderFlags,
  kustomizeBinary,
  type RegistryFlags,
  type RenderFlags,
} from "./render-flags.ts";

interface DiffFlags extends KubeFlags, RegistryFlags, RenderFlags {
  dnsSuffix?: string;
  namespace?: string;
  image?: string;
  operatorNamespace: string;
  json?: boolean;
}

async function diff(name: string, flags: DiffFlags, io: CliIO): Promise<number> {
  const conn = kubeConnection(flags, io.env);
  const namespace = flags.namespace ?? conn.namespace;
  const client = new KubeClient(conn.kubeConfig);
  try {
    return await diffOne(client, { namespace, name }, flags, io);
  } catch (err) {
    throw failure(err, conn.kubeConfig.getCurrentCluster()?.server ?? "", conn.context);
  } finally {
    await client.close();
  }
}

/** Reads the OciSync, its values and its source, plans, prints; the exit code. */
async function diffOne(
  client: KubeClient,
  target: { namespace: string; name: string },
  flags: DiffFlags,
  io: CliIO,
): Promise<number> {
  const { namespace, name } = target;
  const read = await readOciSync(client, namespace, name);
  const values = await syncValues({ client, read, flags, io });
  const bundle = await fetchSource({ client, read, image: flags.image, flags, io });
  try {
    const plan = await planSync({
      client,
      read,
      root: bundle.root,
      sourceDigest: bundle.digest ?? "",
      scope: namespace === flags.operatorNamespace ? { kind: "cluster" } : { kind: "namespace", namespace },
      render: { kustomize: kustomizeBinary(flags.kustomize, io.env), limits: { timeoutMs: flags.kustomizeTimeout } },
      substitute: values?.values,
      signal: AbortSignal.timeout(600_000),
    });
    const about = { sync: `ocisync ${namespace}/${name}`, source: bundle.label, json: flags.json === true };
    const images = await imageLines(plan.images, flags, io);
    printPlan(plan, { ...about, secretValues: values?.secretValues ?? [], images }, io);
    return planCounts(plan).changes > 0 ? EXIT_FAILURE : EXIT_OK;
  } finally {
    await bundle.close();
  }
}

/** An error as the one line the user reads: the engine's and the reconcile's with their reason. */
function failure(err: unknown, server: string, context: string): unknown {
  if (err instanceof SyncError) return new CliError(`${err.code}: ${err.message}`);
  if (err instanceof StallingError || err instanceof WaitingError) return new CliError(`${err.reason}: ${err.message}`);
  if (err instanceof ApiError) return kubeFailure(err, server, context, 30_000);
  return err;
}

/** The `diff` command. */
export function command(ctx: CliContext): Command {
  const cmd = new Command("diff")
    .description(
      "Show what the next sync of an OciSync would do, without doing it: its image (or --image) rendered as the operator would, server-side dry-run applied; what would be created, changed (a unified diff) and pruned, with the prune safeguards' verdict.",
    )
    .argument("<ocisync>", "the OciSync's name")
    .option("-n, --namespace <namespace>", "the OciSync's namespace (default: the context's namespace, else default)")
    .option("--image <ref>", "diff this image (or a local bundle: folder, tar, OCI layout) instead of spec.oci.image")
    .addOption(
      new Option(
        "--operator-namespace <namespace>",
        "the operator's namespace: an OciSync there is a root sync, elsewhere a tenant sync",
      ).default("airlift-system"),
    )
    .option(
      "--dns-suffix <suffix>",
      "the site's DNS suffix, for the built-in ${AIRLIFT_DNS_SUFFIX} (as the operator's --dns-suffix); ${AIRLIFT_DEFAULT_REGISTRY} is --default-registry",
    )
    .option("--json", "print the plan as JSON on stdout");
  addRenderFlags(cmd);
  addRegistryFlags(cmd);
  addKubeFlags(cmd);
  return cmd
    .addHelpText(
      "after",
      "\nExamples:\n  airlift diff apps -n airlift-system\n  airlift diff apps -n team-a --image harbor.example.com/team-a/apps:1.2.0\n\nExit codes: 0 nothing would change, 1 something would (or a failure), 2 usage",
    )
    .action(async (name: string, flags: DiffFlags) => {
      ctx.exitCode = await diff(name, flags, ctx.io);
    });
}

// `airlift status`: the site profile the operator publishes (status-site.ts), then what `nomos status` shows for
// Config Sync, for OciSyncs, plus one line per ImageImport and ArtifactPull. Reads only (list calls); `--json` prints the same report for scripts; `--poll` redraws until
// interrupted. The namespace defaults to the kubeconfig context's, as in kubectl.
import { Command, Option } from "commander";
import { KubeClient } from "../kube/rest-client.ts";
import { durationArg, EXIT_OK, UsageError, type CliContext, type CliIO } from "./command.ts";
import { errorLine } from "./error-lines.ts";
import { kubeFailure } from "./kube-errors.ts";
import { addKubeFlags, kubeConnection, type KubeFlags } from "./kube-flags.ts";
import { formatStatus } from "./status-format.ts";
import { readStatus, type StatusQuery } from "./status-read.ts";
import { readSite } from "./status-site.ts";
import type { StatusReport } from "./status-report.ts";

interface StatusFlags extends KubeFlags {
  namespace?: string;
  allNamespaces?: boolean;
  name?: string;
  rootNamespace?: string;
  json?: boolean;
  poll?: number;
  timeout: number;
}

const AFTER = `
States: SYNCED @ time (applied and every object Current), PENDING, ERROR (see the reason and errors), STALLED,
SUSPENDED. Digests are shortened to sha256:12345678; --json prints them in full.
Exit codes: 0 ok, 1 the API server could not be reached or refused, or the kubeconfig is unusable, 2 usage.`;

function write(report: StatusReport, flags: StatusFlags, io: CliIO, rootNamespace: string): void {
  if (flags.json) io.stdout.write(flags.poll ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(formatStatus(report, rootNamespace));
}

/** One redraw of `--poll`: a failed round is reported on stderr and the next one tried. */
async function redraw(
  round: () => Promise<StatusReport>,
  flags: StatusFlags,
  io: CliIO,
  rootNamespace: string,
): Promise<void> {
  const tty = !flags.json && (io.stdout as { isTTY?: boolean }).isTTY === true;
  try {
    const report = await round();
    if (tty) io.stdout.write("\x1b[H\x1b[2J");
    write(report, flags, io, rootNamespace);
    if (!tty && !flags.json) io.stdout.write("\n");
  } catch (err) {
    io.stderr.write(`airlift status: ${errorLine(err)}\n`);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => resolve(clearTimeout(timer)), { once: true });
  });
}

/** Redraws every `flags.poll` ms until SIGINT / SIGTERM, then exits 0. */
async function poll(
  round: () => Promise<StatusReport>,
  flags: StatusFlags & { poll: number },
  io: CliIO,
  rootNamespace: string,
): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  try {
    while (!stop.signal.aborted) {
      const started = Date.now();
      await redraw(round, flags, io, rootNamespace);
      await pause(Math.max(0, flags.poll - (Date.now() - started)), stop.signal);
    }
    return EXIT_OK;
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  }
}

function checkFlags(flags: StatusFlags): void {
  if (flags.namespace !== undefined && flags.allNamespaces)
    throw new UsageError("give either -n NAMESPACE or -A, not both");
  if (flags.poll !== undefined && flags.poll < 1000) throw new UsageError("--poll must be at least 1s");
}

/** Which objects the flags select: -n over the context's namespace, -A for all. */
function queryOf(flags: StatusFlags, contextNamespace: string): StatusQuery {
  return {
    namespace: flags.allNamespaces ? undefined : (flags.namespace ?? contextNamespace),
    name: flags.name,
    timeoutMs: flags.timeout,
  };
}

async function run(flags: StatusFlags, io: CliIO): Promise<number> {
  checkFlags(flags);
  const conn = kubeConnection(flags, io.env);
  const query = queryOf(flags, conn.namespace);
  const rootNamespace = flags.rootNamespace ?? io.env.AIRLIFT_NAMESPACE ?? "airlift-system";
  const client = new KubeClient(conn.kubeConfig);
  const server = conn.kubeConfig.getCurrentCluster()?.server ?? "";
  const round = (): Promise<StatusReport> =>
    Promise.all([readStatus(client, conn.context, query), readSite(client, rootNamespace, flags.timeout)]).then(
      ([report, site]) => (site ? { ...report, site } : report),
      (err: unknown) => Promise.reject(kubeFailure(err, server, conn.context, flags.timeout)),
    );
  try {
    if (flags.poll !== undefined) return await poll(round, { ...flags, poll: flags.poll }, io, rootNamespace);
    write(await round(), flags, io, rootNamespace);
    return EXIT_OK;
  } finally {
    await client.close();
  }
}

/** The `status` command. */
export function command(ctx: CliContext): Command {
  const cmd = new Command("status")
    .description(
      "Show the site profile the operator publishes (DNS suffix, registry, object storage, trust, with origins), each OciSync like `nomos status` (image, state, digest, managed resources with their kstatus), then one line per ImageImport and ArtifactPull.",
    )
    .option("-n, --namespace <namespace>", "only this namespace (default: the context's namespace, else default)")
    .option("-A, --all-namespaces", "every namespace")
    .option("--name <name>", "only objects of this name")
    .option(
      "--root-namespace <namespace>",
      "the operator's namespace, whose OciSyncs are root syncs [AIRLIFT_NAMESPACE] (default: airlift-system)",
    )
    .option("--json", "print the report as JSON (one line per round with --poll)")
    .addOption(
      new Option("--poll <duration>", "redraw every DURATION (e.g. 5s) until interrupted").argParser(durationArg),
    )
    .addOption(new Option("--timeout <duration>", "per API request").argParser(durationArg).default(30_000, "30s"))
    .addHelpText("after", AFTER);
  return addKubeFlags(cmd).action(async (flags: StatusFlags) => {
    ctx.exitCode = await run(flags, ctx.io);
  });
}

// `--site-registry` for the transfer commands: take the default registry (for references written without a host)
// from the site profile the operator publishes in the cluster (status-site.ts), read with --kubeconfig / --context,
// instead of typing it. Asked for explicitly: without the flag the CLI never talks to Kubernetes.
import type { Command } from "commander";
import { KubeClient } from "../kube/rest-client.ts";
import { CliError, EXIT_USAGE, UsageError } from "./command.ts";
import { kubeFailure } from "./kube-errors.ts";
import { addKubeFlags, kubeConnection, type KubeFlags } from "./kube-flags.ts";
import { readSite } from "./status-site.ts";

/** The flags this adds, beside --default-registry. */
export interface SiteRegistryFlags extends KubeFlags {
  siteRegistry?: boolean;
  rootNamespace?: string;
  defaultRegistry?: string;
}

const TIMEOUT_MS = 30_000;

/** Adds --site-registry, --root-namespace and the kubeconfig flags. */
export function addSiteRegistryFlags(cmd: Command): Command {
  cmd
    .option(
      "--site-registry",
      "take the default registry from the site profile the operator publishes (airlift status shows it), read with --kubeconfig / --context",
    )
    .option(
      "--root-namespace <namespace>",
      "with --site-registry: the operator's namespace [AIRLIFT_NAMESPACE] (default: airlift-system)",
    );
  return addKubeFlags(cmd);
}

/** `flags` with defaultRegistry set from the cluster's site profile when --site-registry asks for it. */
export async function withSiteRegistry<F extends SiteRegistryFlags>(flags: F, env: NodeJS.ProcessEnv): Promise<F> {
  if (!flags.siteRegistry) return flags;
  if (flags.defaultRegistry !== undefined) throw new UsageError("give --default-registry or --site-registry, not both");
  const namespace = flags.rootNamespace ?? env.AIRLIFT_NAMESPACE ?? "airlift-system";
  const conn = kubeConnection(flags, env);
  const client = new KubeClient(conn.kubeConfig);
  try {
    const site = await readSite(client, namespace, TIMEOUT_MS).catch((err: unknown) => {
      throw kubeFailure(err, conn.kubeConfig.getCurrentCluster()?.server ?? "", conn.context, TIMEOUT_MS);
    });
    if (!site?.registry)
      throw new CliError(
        `--site-registry: no default registry published in ${namespace} (ConfigMap airlift-site; is the operator running there? see airlift status --root-namespace ${namespace})`,
        EXIT_USAGE,
      );
    return { ...flags, defaultRegistry: site.registry.value };
  } finally {
    await client.close();
  }
}

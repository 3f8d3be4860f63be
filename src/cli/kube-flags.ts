// The connection flags every command that talks to Kubernetes takes, as kubectl spells them, and the one call that
// turns them into a connection (src/kube/kubeconfig.ts does the loading).
import type { Command } from "commander";
import { loadKubeConfig, type LoadedKubeConfig } from "../kube/kubeconfig.ts";

/** Values of the connection flags. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
}

/** Adds --kubeconfig and --context. */
export function addKubeFlags(cmd: Command): Command {
  return cmd
    .option(
      "--kubeconfig <path>",
      "kubeconfig file (default: $KUBECONFIG, a colon-separated list, else ~/.kube/config, else in-cluster)",
    )
    .option("--context <name>", "kubeconfig context to use (default: the current context)");
}

/** The connection the flags and the environment name. */
export function kubeConnection(flags: KubeFlags, env: NodeJS.ProcessEnv): LoadedKubeConfig {
  return loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context, env });
}

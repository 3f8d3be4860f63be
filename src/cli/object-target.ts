// What `airlift reconcile`, `suspend` and `resume` share: the KIND NAME [-n NS] arguments resolved to one of the
// three kinds (by kind, plural, singular or short name, as kubectl accepts them), the connection from
// --kubeconfig / --context (kube-flags.ts), and the read and merge-patch of that one object.
import { Command, Option } from "commander";
import { ALL_KINDS, crdName, type KindInfo } from "../api/group-version.ts";
import type { Condition } from "../api/meta.ts";
import { ApiError } from "../kube/api-error.ts";
import { getCondition } from "../kube/conditions.ts";
import { KubeClient } from "../kube/rest-client.ts";
import { objectPath, type KubeObject } from "../kube/resource.ts";
import { CliError, durationArg, UsageError } from "./command.ts";
import { kubeFailure } from "./kube-errors.ts";
import { addKubeFlags, kubeConnection, type KubeFlags } from "./kube-flags.ts";

/** Flags of the object commands. */
export interface TargetFlags extends KubeFlags {
  namespace?: string;
  timeout: number;
}

/** The kind `word` names (OciSync, ocisyncs, os...), or a usage error listing the accepted names. */
export function kindNamed(word: string): KindInfo {
  const w = word.toLowerCase();
  const hit = ALL_KINDS.find((k) =>
    [k.kind.toLowerCase(), k.plural, k.singular, ...k.shortNames, crdName(k)].includes(w),
  );
  if (!hit) throw new UsageError(`unknown kind "${word}": use ocisync, imageimport or artifactpull`);
  return hit;
}

/** One object of one kind, reached through the kubeconfig the flags name. */
export class Target {
  readonly kind: KindInfo;
  readonly namespace: string;
  readonly name: string;
  readonly #client: KubeClient;
  readonly #server: string;
  readonly #context: string;
  readonly #timeoutMs: number;

  constructor(kindWord: string, name: string, flags: TargetFlags, env: NodeJS.ProcessEnv) {
    this.kind = kindNamed(kindWord);
    const conn = kubeConnection(flags, env);
    this.namespace = flags.namespace ?? conn.namespace;
    this.name = name;
    this.#client = new KubeClient(conn.kubeConfig);
    this.#server = conn.kubeConfig.getCurrentCluster()?.server ?? "";
    this.#context = conn.context;
    this.#timeoutMs = flags.timeout;
  }

  /** `ocisync apps/demo`, for messages. */
  get label(): string {
    return `${this.kind.singular} ${this.namespace}/${this.name}`;
  }

  /** Reads the object (a missing one is a one-line failure). */
  async get(): Promise<KubeObject> {
    return this.#call(() => this.#client.request<KubeObject>(this.#path(), { timeoutMs: this.#timeoutMs }));
  }

  /** Merge-patches the object. */
  async patch(body: Record<string, unknown>): Promise<KubeObject> {
    return this.#call(() =>
      this.#client.request<KubeObject>(this.#path(), {
        method: "PATCH",
        patchType: "merge",
        body,
        timeoutMs: this.#timeoutMs,
      }),
    );
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  #path(): string {
    return objectPath(this.kind, { namespace: this.namespace, name: this.name });
  }

  async #call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw new CliError(`${this.label} not found`);
      throw kubeFailure(err, this.#server, this.#context, this.#timeoutMs);
    }
  }
}

/** The object's Ready condition, if any. */
export function readyCondition(obj: KubeObject): Condition | undefined {
  const conditions = (obj.status as { conditions?: Condition[] } | undefined)?.conditions;
  return Array.isArray(conditions) ? getCondition(conditions, "Ready") : undefined;
}

/** True when the object's spec.suspend is set. */
export function isSuspended(obj: KubeObject): boolean {
  return (obj.spec as { suspend?: unknown } | undefined)?.suspend === true;
}

/** A `KIND NAME` command with -n, --timeout and the connection flags. */
export function targetCommand(name: string, description: string): Command {
  const cmd = new Command(name)
    .description(description)
    .argument("<kind>", "ocisync, imageimport or artifactpull (or a plural or short name)")
    .argument("<name>", "the object's name")
    .option("-n, --namespace <namespace>", "the object's namespace (default: the context's namespace, else default)")
    .addOption(new Option("--timeout <duration>", "per API request").argParser(durationArg).default(30_000, "30s"));
  return addKubeFlags(cmd);
}

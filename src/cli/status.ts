// `airlift status`: what `nomos status` shows for Config Sync, for OciSyncs, plus one line per ImageImport and
// ArtifactPull. Reads only (list calls); `--json` prints the same data for scripts.
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { ARTIFACT_PULL, IMAGE_IMPORT, OCI_SYNC } from "../api/group-version.ts";
import type { InventoryEntry, OciSync } from "../api/oci-sync.ts";
import { readInventory } from "../controllers/oci-sync-inventory.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError } from "../kube/api-error.ts";
import { KubeClient } from "../kube/rest-client.ts";
import { collectionPath, type ResourceType } from "../kube/resource.ts";
import { EXIT_OK, UsageError, type CliIO, type Command } from "./command.ts";
import { formatOciSync, formatSummaries, syncState, type SummaryObject } from "./status-format.ts";

const USAGE = `Usage: airlift status [flags]

Shows each OciSync like \`nomos status\` (image, SYNCED / ERROR / PENDING / STALLED, digest, managed resources with
their kstatus), then one line per ImageImport and ArtifactPull.

Flags:
  --kubeconfig PATH     kubeconfig (default: $KUBECONFIG, else in-cluster)
  -n, --namespace NS    only this namespace
  -A, --all-namespaces  every namespace (default)
  --root-namespace NS   the operator's namespace, whose OciSyncs are root syncs (default airlift-system)
  --json                print JSON for scripts
  --timeout DURATION    per request (default 30s)
`;

interface ListDoc<T> {
  items?: T[];
}

async function list<T>(client: KubeClient, type: ResourceType, namespace: string | undefined, signal: AbortSignal): Promise<T[]> {
  // A freshly installed CRD answers 429 "storage is (re)initializing" for a moment: retry a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await client.request<ListDoc<T>>(collectionPath(type, namespace), { signal });
      return out.items ?? [];
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 429 || attempt >= 5) throw err;
      await sleep(500 * attempt, undefined, { signal });
    }
  }
}

/** Status of one OciSync, as `--json` prints it. */
export interface OciSyncReport {
  namespace: string;
  name: string;
  image: string;
  state: string;
  digest?: string;
  revision?: string;
  errors: { code: string; message: string }[];
  resources: InventoryEntry[];
}

/** Runs `airlift status`. */
export async function runStatus(argv: string[], io: CliIO): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: "string" },
      namespace: { type: "string", short: "n" },
      "all-namespaces": { type: "boolean", short: "A" },
      "root-namespace": { type: "string" },
      json: { type: "boolean" },
      timeout: { type: "string" },
    },
    strict: true,
  });
  if (v.namespace && v["all-namespaces"]) throw new UsageError("--namespace and --all-namespaces exclude each other");
  const kc = new KubeConfig();
  const path = v.kubeconfig ?? io.env.KUBECONFIG;
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  const client = new KubeClient(kc);
  const signal = AbortSignal.timeout(60_000);
  const rootNs = v["root-namespace"] ?? io.env.AIRLIFT_NAMESPACE ?? "airlift-system";
  try {
    const syncs = await list<OciSync>(client, OCI_SYNC, v.namespace, signal);
    const others = [...(await list<SummaryObject>(client, IMAGE_IMPORT, v.namespace, signal)), ...(await list<SummaryObject>(client, ARTIFACT_PULL, v.namespace, signal))];
    const reports: { sync: OciSync; inventory: InventoryEntry[] }[] = [];
    for (const sync of syncs) reports.push({ sync, inventory: await readInventory(client, sync, signal) });
    if (v.json) {
      const ociSyncs: OciSyncReport[] = reports.map(({ sync, inventory }) => ({
        namespace: sync.metadata.namespace ?? "",
        name: sync.metadata.name,
        image: sync.status?.source?.image ?? sync.spec.oci.image,
        state: syncState(sync),
        ...(sync.status?.sync?.digest ? { digest: sync.status.sync.digest } : {}),
        ...(sync.status?.artifact?.revision ? { revision: sync.status.artifact.revision } : {}),
        errors: [...(sync.status?.source?.errors ?? []), ...(sync.status?.sync?.errors ?? [])].map((e) => ({ code: e.code, message: e.message })),
        resources: inventory,
      }));
      const summaries = others.map((o) => {
        const ready = o.status?.conditions?.find((c) => c.type === "Ready");
        return { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, ready: ready?.status ?? "Unknown", reason: ready?.reason ?? "" };
      });
      io.stdout.write(`${JSON.stringify({ ociSyncs, resources: summaries }, null, 2)}\n`);
      return EXIT_OK;
    }
    const blocks = reports.map(({ sync, inventory }) => formatOciSync(sync, inventory, rootNs));
    const context = kc.getCurrentContext() || "in-cluster";
    io.stdout.write(`*${context}\n${blocks.join("\n\n")}${blocks.length ? "\n" : "   no OciSyncs\n"}`);
    const summary = formatSummaries(others.map((o) => ({ ...o, kind: o.kind ?? "" })));
    if (summary) io.stdout.write(`\n${summary}\n`);
    return EXIT_OK;
  } finally {
    await client.close();
  }
}

export const command: Command = {
  name: "status",
  summary: "show OciSyncs like nomos status, and the state of ImageImports and ArtifactPulls",
  usage: USAGE,
  run: runStatus,
};

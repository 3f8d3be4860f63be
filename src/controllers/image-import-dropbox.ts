// The drop-box side of the ImageImport reconciler: an ImageImport whose source is a bucket prefix. Each reconcile
// is one poll (transfer/drop-box.ts): new and replaced archives are imported, with bounded concurrency, each
// checked against the prefix's SHA256SUMS and receipted in the bucket. What was settled is remembered per object
// (seeded from the receipts after a restart, so nothing is imported twice); status.dropBox has the counts and the
// recent outcomes, the ConfigMap `<name>-drop-box` every archive's outcome; each archive's outcome is an Event.
import {
  DROP_BOX_DEFAULTS,
  type ImageImport,
  type ImageImportSpecDefaulted,
  type ImageImportStatus,
} from "../api/image-import.ts";
import type { EndpointsUsed } from "../api/meta.ts";
import { parseDuration } from "../api/duration.ts";
import type { Run } from "../kube/reconcile-steps.ts";
import type { Result } from "../kube/reconciler.ts";
import { applyConfigMap } from "../kube/config-maps.ts";
import { nowIso } from "../kube/conditions.ts";
import type { SharedBlobs } from "../transfer/blob-copy.ts";
import { leaseS3Client } from "../transfer/s3-connection.ts";
import {
  pollDropBox,
  type DropBoxOptions,
  type DropBoxResult,
  type KeyOutcome,
  type Settled,
} from "../transfer/drop-box.ts";
import type { ControllerDeps } from "./deps.ts";
import type { ImportConnections } from "./image-import-connections.ts";
import { dropBoxStatus, dropBoxVerdict, outcomesText, recentOutcomes } from "./image-import-dropbox-status.ts";
import { destination } from "./image-import-spec.ts";

/** One poll's result and where it looked. */
export interface DropBoxPoll {
  result: DropBoxResult;
  where: string;
  endpoints: EndpointsUsed;
}

/** What the operator remembers of one drop-box between polls. */
interface Memory {
  settled: Map<string, Settled>;
  /** The outcomes text last written to the ConfigMap. */
  written?: string;
}

/** Status writes during a poll at most this often. */
const PROGRESS_MS = 2_000;
/** Drop-boxes remembered at once (memory lost only costs a re-read of the receipts). */
const MEMORY_LIMIT = 1_000;

type DropBoxRun = Run<ImageImport, ImageImportStatus, { spec: ImageImportSpecDefaulted }>;

/** The `<name>-drop-box` ConfigMap name. */
export function outcomesConfigMapName(obj: ImageImport): string {
  return `${obj.metadata.name.slice(0, 244)}-drop-box`;
}

/** Polls drop-boxes; one per reconciler, memory per object uid. */
export class DropBoxPoller {
  readonly #deps: ControllerDeps;
  readonly #shared: (registry: string) => SharedBlobs;
  readonly #memory = new Map<string, Memory>();

  constructor(deps: ControllerDeps, shared: (registry: string) => SharedBlobs) {
    this.#deps = deps;
    this.#shared = shared;
  }

  #memoryOf(obj: ImageImport): Memory | undefined {
    return this.#memory.get(obj.metadata.uid ?? "");
  }

  #remember(obj: ImageImport, memory: Memory): void {
    const uid = obj.metadata.uid ?? "";
    this.#memory.delete(uid);
    this.#memory.set(uid, memory);
    if (this.#memory.size > MEMORY_LIMIT) this.#memory.delete(this.#memory.keys().next().value ?? "");
  }

  /** One poll: lists the prefix and imports what is new, reporting each archive's outcome as it settles. */
  async poll(run: DropBoxRun, conns: ImportConnections, endpoints: EndpointsUsed): Promise<DropBoxPoll> {
    const { obj } = run;
    const s3 = run.state.spec.source.s3;
    const lease = leaseS3Client(conns.s3);
    run.defer(() => lease.release());
    const client = lease.value;
    const memory = this.#memoryOf(obj);
    let lastWrite = 0;
    const sofar: KeyOutcome[] = [];
    const result = await pollDropBox({
      ...this.#options(run, conns),
      client,
      ...(memory ? { settled: memory.settled } : {}),
      onOutcome: (outcome) => {
        void this.#event(run, outcome);
        sofar.push(outcome);
        if (Date.now() - lastWrite < PROGRESS_MS) return;
        lastWrite = Date.now();
        const previous = obj.status?.dropBox;
        run.status.progress({ dropBox: { ...previous, recent: recentOutcomes(sofar, previous) } });
      },
    });
    this.#remember(obj, { settled: result.settled, written: memory?.written });
    return { result, where: `s3://${s3.bucket}/${s3.prefix ?? ""}`, endpoints };
  }

  /** The poll's settings from the spec (defaults filled) and the connections. */
  #options(run: DropBoxRun, conns: ImportConnections): Omit<DropBoxOptions, "client"> {
    const { obj, ctx } = run;
    const spec = run.state.spec;
    const s3 = spec.source.s3;
    return {
      location: { bucket: s3.bucket, prefix: s3.prefix ?? "", match: s3.match ?? DROP_BOX_DEFAULTS.match },
      importOptions: {
        destination: destination(spec, conns.registry),
        connection: conns.connection,
        layerCompression: spec.layerCompression,
        concurrency: spec.concurrency,
        shared: this.#shared(conns.registry),
      },
      checksums: s3.checksums ?? DROP_BOX_DEFAULTS.checksums,
      ...(conns.keys ? { keys: conns.keys.keys } : {}),
      parallel: spec.parallelImports ?? DROP_BOX_DEFAULTS.parallelImports,
      ...(spec.destination.repositoryTemplate ? { repositoryTemplate: spec.destination.repositoryTemplate } : {}),
      importedBy: {
        identity: this.#deps.identity,
        version: this.#deps.version ?? "unknown",
        object: `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`,
      },
      signal: ctx.signal,
    };
  }

  async #event(run: DropBoxRun, o: KeyOutcome): Promise<void> {
    const note =
      o.outcome === "imported"
        ? `${o.name}: imported as ${(o.images ?? []).flatMap((i) => i.references).join(", ")}`
        : `${o.name} ${o.outcome}: ${o.message ?? ""}`;
    const event =
      o.outcome === "imported"
        ? { type: "Normal" as const, reason: "ImagePushed" as const, action: "Import", note }
        : { type: "Warning" as const, reason: o.reason ?? "TransferFailed", action: "Import", note };
    await run.ctx.events.event(run.obj, event, run.ctx.signal);
  }

  /** Writes the outcomes ConfigMap (when it changed) and the summary; polls again after spec.interval. */
  async finish(run: DropBoxRun, poll: DropBoxPoll): Promise<Result> {
    const { obj, ctx } = run;
    const name = outcomesConfigMapName(obj);
    const text = outcomesText({ matched: poll.result.matched, settled: poll.result.settled });
    const memory = this.#memoryOf(obj);
    if (memory?.written !== text) {
      await this.#writeOutcomes(run, name, text);
      if (memory) memory.written = text;
    }
    const view = { ...poll.result };
    await run.status.summarize((status) => ({
      verdict: dropBoxVerdict(view, poll.where),
      fields: {
        dropBox: dropBoxStatus(view, status.dropBox, { outcomesConfigMap: name, now: nowIso() }),
        endpoints: poll.endpoints,
      },
    }));
    ctx.log.info(
      { where: poll.where, matched: poll.result.matched.length, settledThisPoll: poll.result.outcomes.length },
      "drop-box polled",
    );
    const interval = obj.spec.interval ?? DROP_BOX_DEFAULTS.interval;
    return { requeueAfterMs: parseDuration(interval) };
  }

  async #writeOutcomes(run: DropBoxRun, name: string, text: string): Promise<void> {
    const { obj, ctx } = run;
    await applyConfigMap(
      ctx.client,
      {
        namespace: obj.metadata.namespace ?? "",
        name,
        labels: { "airlift.dev/drop-box-of": obj.metadata.name.slice(0, 63) },
        owner: obj,
        data: { "outcomes.tsv": text },
      },
      { signal: ctx.signal },
    );
  }
}

// The ArtifactPull reconciler (GitHub issue 6): the runbook "list Harbor tags by push_time skipping .sig; gdcloud
// artifacts pull --single-manifest-repo HARBOR/PROJECT/REPO:TAG; gdcloud artifacts extract" as a loop:
//   resolve (digest as given; tag by HEAD; tagPolicy through Harbor's API, or image configs' `created` on a plain
//   registry) → if the digest differs from status.resolvedDigest (or the spec changed), pull it as an OCI layout under
//   destination.s3.prefix and, with `extract`, publish the extracted tree under `<prefix>/extracted/` → status.
// Every `interval` it resolves again: a new tag is pulled, the same digest is not. Permanent faults are Stalled and
// looked at again at the next interval (a new push may fix NoMatchingTag); transient ones back off.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ARTIFACT_PULL } from "../api/group-version.ts";
import { parseDuration } from "../api/duration.ts";
import { withArtifactPullDefaults, type ArtifactPull, type ArtifactPullSpecDefaulted, type ArtifactPullStatus } from "../api/artifact-pull.ts";
import { parseArtifactPull } from "../api/parse.ts";
import { isNotFound } from "../kube/api-error.ts";
import { getCondition, markReady, markReconciling, markRetrying, markStalled, type Condition } from "../kube/conditions.ts";
import { Controller } from "../kube/controller.ts";
import { StallingError, TransientError, WaitingError, errorReason } from "../kube/errors.ts";
import type { ReconcileContext, Reconciler, Request, Result } from "../kube/reconciler.ts";
import { keyOf, type KubeObject } from "../kube/resource.ts";
import { getObject, updateStatus } from "../kube/status.ts";
import { RegistryClient, type ClientOptions } from "../oci/client.ts";
import { Repository } from "../oci/repository.ts";
import { createS3Client } from "../storage/s3-client.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import { pullArtifact } from "../transfer/pull-artifact.ts";
import { resolveArtifact } from "../transfer/resolve-tag.ts";
import { caBundle, registryCredentials, registryHost, s3Connection } from "./credentials.ts";
import type { ControllerDeps } from "./index.ts";

/** Files listed in status; the rest only counted. */
const MAX_STATUS_FILES = 100;

const nowIso = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

async function writeStatus(ctx: ReconcileContext, obj: ArtifactPull, compute: (conditions: Condition[] | undefined) => ArtifactPullStatus): Promise<void> {
  await updateStatus(ctx.client, ARTIFACT_PULL, keyOf(obj as unknown as KubeObject), (latest) => {
    const status = ((latest as { status?: ArtifactPullStatus }).status ?? {});
    return { ...compute(status.conditions), observedGeneration: obj.metadata.generation };
  }, { signal: ctx.signal });
}

export class ArtifactPullReconciler implements Reconciler {
  readonly #deps: ControllerDeps;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    let obj: ArtifactPull;
    try {
      obj = parseArtifactPull(await getObject(ctx.client, ARTIFACT_PULL, req, ctx.signal));
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    const spec = withArtifactPullDefaults(obj.spec);
    const gen = obj.metadata.generation;
    if (spec.suspend) {
      if (getCondition(obj.status?.conditions, "Ready")?.reason !== "Suspended") {
        await writeStatus(ctx, obj, (c) => ({ conditions: markStalled(c, gen, "Suspended", "spec.suspend is true: nothing is pulled until it is cleared").filter((x) => x.type !== "Stalled") }));
      }
      return {};
    }
    const interval = parseDuration(spec.interval);
    try {
      await this.#run(obj, spec, ctx);
      return { requeueAfterMs: interval };
    } catch (err) {
      ctx.signal.throwIfAborted();
      const c = err instanceof StallingError || err instanceof WaitingError ? { reason: errorReason(err), transient: err instanceof WaitingError, message: err.message } : classifyTransferError(err);
      const text = `failed to pull ${this.#what(obj)}: ${c.message}`;
      await writeStatus(ctx, obj, (cond) => ({ conditions: c.transient ? markRetrying(cond, gen, c.reason, text) : markStalled(cond, gen, c.reason, text) }));
      await ctx.events.event(obj as never, { type: "Warning", reason: c.reason, action: "Pull", note: text }, ctx.signal).catch(() => undefined);
      if (err instanceof WaitingError) throw err;
      if (c.transient) throw new TransientError(c.reason, text, { cause: err });
      return { requeueAfterMs: interval };
    }
  }

  #what(obj: ArtifactPull): string {
    const s = obj.spec.source;
    return `${s.project}/${s.repository}`;
  }

  async #run(obj: ArtifactPull, spec: ArtifactPullSpecDefaulted, ctx: ReconcileContext): Promise<void> {
    const namespace = obj.metadata.namespace ?? "";
    const gen = obj.metadata.generation;
    const src = spec.source;
    const registry = registryHost(src.registry, this.#deps.defaults);
    const credentials = await registryCredentials(ctx.secrets, namespace, src.credentialsSecretRef, registry, ctx.signal);
    const caPem = await caBundle(ctx.secrets, namespace, src.caBundleSecretRef, ctx.signal);
    const connection: Omit<ClientOptions, "registry"> = {
      ...(src.plainHTTP ? { plainHttp: true } : {}),
      ...(caPem ? { caPem } : {}),
      ...(src.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
      ...(credentials ? { credentials } : {}),
      endpointPolicy: this.#deps.endpointPolicy,
    };
    const repository = `${src.project}/${src.repository}`;
    const client = new RegistryClient({ ...connection, registry });
    let resolved;
    try {
      resolved = await resolveArtifact({
        repo: new Repository(client, repository),
        registry,
        project: src.project,
        repository: src.repository,
        ...(src.tag ? { tag: src.tag } : {}),
        ...(src.digest ? { digest: src.digest } : {}),
        ...(src.tagPolicy ? { tagPolicy: src.tagPolicy } : {}),
        excludeSignatures: src.excludeSignatures,
        connection,
        signal: ctx.signal,
      });
    } finally {
      await client.close();
    }
    const ready = getCondition(obj.status?.conditions, "Ready");
    if (ready?.status === "True" && obj.status?.resolvedDigest === resolved.digest && obj.status.observedGeneration === gen) return; // nothing new
    const revision = `${resolved.tag ?? ""}${resolved.tag ? "@" : ""}${resolved.digest}`;
    await writeStatus(ctx, obj, (c) => ({ conditions: markReconciling(c, gen, `pulling ${registry}/${repository}:${revision}`) }));
    const s3conn = await s3Connection(ctx.secrets, namespace, spec.destination.s3, this.#deps.defaults, ctx.signal);
    const s3 = createS3Client({ ...s3conn, endpointPolicy: this.#deps.endpointPolicy });
    const workDir = join(this.#deps.defaults.workDir, "artifactpull");
    await mkdir(workDir, { recursive: true });
    try {
      const result = await pullArtifact(`${registry}/${repository}@${resolved.digest}`, { kind: "s3", client: s3, bucket: spec.destination.s3.bucket, prefix: spec.destination.s3.prefix }, {
        connection,
        platform: src.platform,
        extract: spec.extract,
        limits: { maxTotalBytes: spec.extractLimits.maxTotalBytes, maxEntries: spec.extractLimits.maxFiles },
        workDir,
        signal: ctx.signal,
      });
      const files = result.files.filter((f) => f.type === "file");
      const insecure = src.insecureSkipTLSVerify ? " (TLS verification disabled by spec.source.insecureSkipTLSVerify)" : "";
      const message = `pulled ${revision} to s3://${spec.destination.s3.bucket}/${spec.destination.s3.prefix}${spec.extract ? `, ${files.length} files extracted` : ""}${insecure}`;
      await writeStatus(ctx, obj, (c) => ({
        conditions: markReady(c, gen, message, insecure ? "SucceededWithoutTLSVerification" : "Succeeded"),
        ...(resolved.tag ? { resolvedTag: resolved.tag } : {}),
        resolvedDigest: resolved.digest,
        ...(resolved.pushTime ? { pushTime: resolved.pushTime } : {}),
        ...(resolved.tagSource ? { tagSource: resolved.tagSource } : {}),
        files: files.slice(0, MAX_STATUS_FILES).map((f) => ({ path: f.path, size: f.size })),
        fileCount: files.length,
        artifact: { revision },
        lastPulled: nowIso(),
      }));
      await ctx.events.event(obj as never, { type: insecure ? "Warning" : "Normal", reason: "Pulled", action: "Pull", note: message }, ctx.signal).catch(() => undefined);
      this.#deps.metrics.bytesTransferred.inc({ controller: "artifactpull", direction: "download" }, files.reduce((n, f) => n + f.size, 0));
    } finally {
      s3.destroy();
    }
  }
}

/** Builds the ArtifactPull controller. */
export function createArtifactPullController(deps: ControllerDeps): Controller {
  return new Controller({ name: "artifactpull", type: ARTIFACT_PULL, reconciler: new ArtifactPullReconciler(deps) });
}

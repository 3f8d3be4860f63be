// The ArtifactPull reconciler (GitHub issue 6): the runbook "list Harbor tags by push_time skipping .sig; gdcloud
// artifacts pull --single-manifest-repo HARBOR/PROJECT/REPO:TAG; gdcloud artifacts extract" as a loop:
//   resolve (digest as given; tag by HEAD; tagPolicy through Harbor's API, or image configs' `created` on a plain
//   registry) → if the digest differs from status.resolvedDigest (or the spec changed), pull it as an OCI layout under
//   destination.s3.prefix and, with `extract`, publish the extracted tree under `<prefix>/extracted/` → status.
// Every `interval` it resolves again: a new tag is pulled, the same digest is not. Permanent faults are Stalled and
// looked at again at the next interval (a new push may fix NoMatchingTag); transient ones back off.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ARTIFACT_PULL } from "../api/group-version.ts";
import { parseDuration } from "../api/duration.ts";
import { withArtifactPullDefaults, type ArtifactPull, type ArtifactPullSpecDefaulted, type ArtifactPullStatus } from "../api/artifact-pull.ts";
import { parseArtifactPull } from "../api/parse.ts";
import { isNotFound } from "../kube/api-error.ts";
import { getCondition, markReady, markReconciling, markRetrying, markStalled, type Condition } from "../kube/conditions.ts";
import { Controller } from "../kube/controller.ts";
import { TransientError, WaitingError } from "../kube/errors.ts";
import type { ReconcileContext, Reconciler, Request, Result } from "../kube/reconciler.ts";
import { keyOf, type KubeObject } from "../kube/resource.ts";
import { getObject, updateStatus } from "../kube/status.ts";
import { RegistryClient, type ClientOptions } from "../oci/client.ts";
import { Repository } from "../oci/repository.ts";
import { createS3Client } from "../storage/s3-client.ts";
import { pullArtifact } from "../transfer/pull-artifact.ts";
import { MAX_CONFIG_TAGS, resolveArtifact, type ResolvedArtifact } from "../transfer/resolve-tag.ts";
import { REASON_TLS_DISABLED, alreadyPulled, classifyPullFailure, nextCheckMs, pulledStatus, revisionOf, tagSourceNote } from "./artifact-pull-decide.ts";
import { caBundle, registryCredentials, registryHost, s3Connection } from "./credentials.ts";
import type { ControllerDeps } from "./index.ts";

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
    const interval = nextCheckMs(spec, parseDuration(spec.interval));
    try {
      await this.#run(obj, spec, ctx);
      return interval === undefined ? {} : { requeueAfterMs: interval };
    } catch (err) {
      ctx.signal.throwIfAborted();
      const f = classifyPullFailure(err, this.#what(obj));
      await writeStatus(ctx, obj, (cond) => ({ conditions: f.transient ? markRetrying(cond, gen, f.reason, f.message) : markStalled(cond, gen, f.reason, f.message) }));
      await ctx.events.event(obj as never, { type: "Warning", reason: f.reason, action: "Pull", note: f.message }, ctx.signal).catch(() => undefined);
      if (err instanceof WaitingError) throw err;
      if (f.transient) throw new TransientError(f.reason, f.message, { cause: err });
      // Permanent: look again at the next interval (a new push may bring a matching tag); a pin waits for a change.
      return interval === undefined ? {} : { requeueAfterMs: interval };
    }
  }

  #what(obj: ArtifactPull): string {
    const s = obj.spec.source;
    return `${s.project}/${s.repository}`;
  }

  async #connection(obj: ArtifactPull, spec: ArtifactPullSpecDefaulted, registry: string, ctx: ReconcileContext): Promise<Omit<ClientOptions, "registry">> {
    const namespace = obj.metadata.namespace ?? "";
    const src = spec.source;
    const credentials = await registryCredentials(ctx.secrets, namespace, src.credentialsSecretRef, registry, ctx.signal);
    const caPem = await caBundle(ctx.secrets, namespace, src.caBundleSecretRef, ctx.signal);
    return {
      ...(src.plainHTTP ? { plainHttp: true } : {}),
      ...(caPem ? { caPem } : {}),
      ...(src.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
      ...(credentials ? { credentials } : {}),
      endpointPolicy: this.#deps.endpointPolicy,
    };
  }

  /** Step 1: which digest the spec means now (tag HEAD, Harbor listing or image configs). */
  async #resolve(spec: ArtifactPullSpecDefaulted, registry: string, connection: Omit<ClientOptions, "registry">, signal: AbortSignal): Promise<ResolvedArtifact> {
    const src = spec.source;
    const client = new RegistryClient({ ...connection, registry });
    try {
      return await resolveArtifact({
        repo: new Repository(client, `${src.project}/${src.repository}`),
        registry,
        project: src.project,
        repository: src.repository,
        ...(src.tag ? { tag: src.tag } : {}),
        ...(src.digest ? { digest: src.digest } : {}),
        ...(src.tagPolicy ? { tagPolicy: src.tagPolicy } : {}),
        excludeSignatures: src.excludeSignatures,
        connection,
        signal,
      });
    } finally {
      await client.close();
    }
  }

  async #run(obj: ArtifactPull, spec: ArtifactPullSpecDefaulted, ctx: ReconcileContext): Promise<void> {
    const gen = obj.metadata.generation;
    const src = spec.source;
    const registry = registryHost(src.registry, this.#deps.defaults);
    const connection = await this.#connection(obj, spec, registry, ctx);
    const resolved = await this.#resolve(spec, registry, connection, ctx.signal);
    if (alreadyPulled(obj.status, gen, resolved.digest)) return;
    const repository = `${src.project}/${src.repository}`;
    const revision = revisionOf(resolved);
    await writeStatus(ctx, obj, (c) => ({ conditions: markReconciling(c, gen, `pulling ${registry}/${repository}:${revision}`) }));
    const s3conn = await s3Connection(ctx.secrets, obj.metadata.namespace ?? "", spec.destination.s3, this.#deps.defaults, ctx.signal);
    const s3 = createS3Client({ ...s3conn, endpointPolicy: this.#deps.endpointPolicy });
    // A folder per object, emptied first: what a killed operator left mid-pull goes at this object's next pull.
    const workDir = join(this.#deps.defaults.workDir, "artifactpull", obj.metadata.uid ?? `${obj.metadata.namespace}_${obj.metadata.name}`);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    const { bucket, prefix } = spec.destination.s3;
    try {
      const result = await pullArtifact(`${registry}/${repository}@${resolved.digest}`, { kind: "s3", client: s3, bucket, prefix }, {
        connection,
        platform: src.platform,
        extract: spec.extract,
        limits: { maxTotalBytes: spec.extractLimits.maxTotalBytes, maxEntries: spec.extractLimits.maxFiles },
        workDir,
        signal: ctx.signal,
      });
      const pulled = pulledStatus(resolved, result.files, nowIso());
      const insecure = src.insecureSkipTLSVerify ? " (TLS verification disabled by spec.source.insecureSkipTLSVerify)" : "";
      const message = `pulled ${revision} to s3://${bucket}/${prefix}${spec.extract ? `, ${pulled.fileCount ?? 0} files extracted` : ""}${tagSourceNote(resolved, MAX_CONFIG_TAGS)}${insecure}`;
      await writeStatus(ctx, obj, (c) => ({ conditions: markReady(c, gen, message, insecure ? REASON_TLS_DISABLED : "Succeeded"), ...pulled }));
      await ctx.events.event(obj as never, { type: insecure ? "Warning" : "Normal", reason: insecure ? REASON_TLS_DISABLED : "Pulled", action: "Pull", note: message }, ctx.signal).catch(() => undefined);
      this.#deps.metrics.bytesTransferred.inc({ controller: "artifactpull", direction: "download" }, result.files.reduce((n, f) => n + (f.type === "file" ? f.size : 0), 0));
    } finally {
      s3.destroy();
      await rm(workDir, { recursive: true, force: true });
    }
  }
}

/** Builds the ArtifactPull controller. */
export function createArtifactPullController(deps: ControllerDeps): Controller {
  return new Controller({ name: "artifactpull", type: ARTIFACT_PULL, reconciler: new ArtifactPullReconciler(deps) });
}

// The ArtifactPull reconciler (GitHub issue 6): the runbook "list Harbor tags by push_time skipping .sig; gdcloud
// artifacts pull --single-manifest-repo HARBOR/PROJECT/REPO:TAG; gdcloud artifacts extract" as a loop on the
// reconciler skeleton (kube/reconcile-steps.ts): open one engine session → resolve (digest as given; tag by HEAD;
// tagPolicy through Harbor's API, or image configs' `created` on a plain registry) → already pulled? → pull it as an
// OCI layout under destination.s3.prefix and, with `extract`, publish the extracted tree under `<prefix>/extracted/`
// → summarize. Every `interval` it resolves again: a new tag is pulled, the same digest is not. Permanent faults are
// Stalled and looked at again at the next interval (a new push may fix NoMatchingTag); transient ones back off.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  withArtifactPullDefaults,
  type ArtifactPull,
  type ArtifactPullSpecDefaulted,
  type ArtifactPullStatus,
} from "../api/artifact-pull.ts";
import { parseDuration } from "../api/duration.ts";
import { ARTIFACT_PULL } from "../api/group-version.ts";
import type { EndpointsUsed } from "../api/meta.ts";
import { parseArtifactPull } from "../api/parse.ts";
import { Controller } from "../kube/controller.ts";
import { reconcileKind, type KindReconciler, type Run, type StepResult } from "../kube/reconcile-steps.ts";
import { nowIso } from "../kube/conditions.ts";
import type { ReconcileContext, Reconciler, Request, Result } from "../kube/reconciler.ts";
import { openArtifactSource, type ArtifactSource } from "../transfer/artifact-source.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import type { PullResult } from "../transfer/pull-artifact.ts";
import type { ResolvedArtifact } from "../transfer/resolve-tag.ts";
import type { SourceVerification, TrustedKeySet } from "../transfer/verify-source.ts";
import { alreadyPulled, nextCheckMs, pullFailureMessage, pulledSummary, revisionOf } from "./artifact-pull-decide.ts";
import { caBundle, caOrigin, endpointUsed, registryCredentials, registryHost, s3Connection } from "./credentials.ts";
import type { ControllerDeps } from "./deps.ts";
import { refusedConditions, verifiedConditions, verifyKeys } from "./verify-source.ts";

/** What the steps of one reconcile found out. */
interface PullState {
  spec: ArtifactPullSpecDefaulted;
  /** When to resolve again; undefined for a digest pin (config-sync#1332). */
  intervalMs: number | undefined;
  session?: { source: ArtifactSource; registry: string; keys?: TrustedKeySet };
  /** What spec.verify accepted. */
  verified?: SourceVerification;
  resolved?: ResolvedArtifact;
  pulled?: PullResult;
  /** The endpoints this reconcile uses and their origins (status.endpoints), set first. */
  endpoints?: EndpointsUsed;
}

type PullRun = Run<ArtifactPull, ArtifactPullStatus, PullState>;

/** `project/repository`, as messages name the artifact. */
function what(spec: ArtifactPullSpecDefaulted): string {
  return `${spec.source.project}/${spec.source.repository}`;
}

function required<T>(value: T | undefined, step: string): T {
  if (value === undefined) throw new Error(`ArtifactPull: ${step} did not run`);
  return value;
}

export class ArtifactPullReconciler implements Reconciler {
  readonly #deps: ControllerDeps;
  readonly #kind: KindReconciler<ArtifactPull, ArtifactPullStatus, PullState>;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#kind = {
      type: ARTIFACT_PULL,
      action: "Pull",
      parse: parseArtifactPull,
      classify: classifyTransferError,
      suspended: (obj) =>
        obj.spec.suspend ? "spec.suspend is true: nothing is pulled until it is cleared" : undefined,
      begin: (obj) => {
        const spec = withArtifactPullDefaults(obj.spec);
        return { spec, intervalMs: nextCheckMs(spec, parseDuration(spec.interval)) };
      },
      steps: [
        (run) => this.#open(run),
        (run) => this.#resolve(run),
        (run) => this.#verify(run),
        (run) => this.#pull(run),
      ],
      finish: (run) => this.#finish(run),
      // Permanent: look again at the next interval (a new push may bring a matching tag); a pin waits for a change.
      failed: (run, failure) => {
        const endpoints = run.state.endpoints;
        return {
          message: pullFailureMessage(failure, what(run.state.spec)),
          recheckAfterMs: run.state.intervalMs,
          fields: endpoints ? () => ({ endpoints }) : undefined,
          conditions: refusedConditions(failure, run.obj.metadata.generation),
        };
      },
    };
  }

  reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    return reconcileKind(this.#kind, req, ctx);
  }

  /** Step 1: one engine session (one registry client) for the whole reconcile. */
  async #open(run: PullRun): Promise<StepResult> {
    const { obj, ctx, state } = run;
    const namespace = obj.metadata.namespace ?? "";
    const src = state.spec.source;
    const defaults = this.#deps.defaults;
    state.endpoints = {
      registry: endpointUsed(src.registry, "spec.source.registry", defaults, "registry"),
      s3: endpointUsed(state.spec.destination.s3.endpoint, "spec.destination.s3.endpoint", defaults, "s3"),
    };
    const registry = registryHost(src.registry, defaults);
    const connection = {
      credentials: await registryCredentials(ctx.secrets, namespace, src.credentialsSecretRef, ctx.signal),
      caPem: await caBundle(ctx.secrets, namespace, src.caBundleSecretRef, ctx.signal),
      caOrigin: caOrigin(namespace, src.caBundleSecretRef),
      insecureSkipTLSVerify: src.insecureSkipTLSVerify,
      plainHttp: src.plainHTTP,
      endpointPolicy: this.#deps.endpointPolicy,
    };
    const keys = await verifyKeys(ctx.secrets, namespace, state.spec.verify, ctx.signal);
    const source = openArtifactSource({ registry, project: src.project, repository: src.repository, connection });
    run.defer(() => source.close());
    state.session = { source, registry, ...(keys ? { keys } : {}) };
    return "continue";
  }

  /** Step 2: which digest the spec means now; a digest already pulled for this generation ends the reconcile. */
  async #resolve(run: PullRun): Promise<StepResult> {
    const { state } = run;
    const src = state.spec.source;
    const { source } = required(state.session, "open");
    state.resolved = await source.resolve({
      tag: src.tag,
      digest: src.digest,
      tagPolicy: src.tagPolicy,
      excludeSignatures: src.excludeSignatures,
      signal: run.ctx.signal,
    });
    return alreadyPulled(run.obj.status, run.obj.metadata.generation, state.resolved.digest) ? "done" : "continue";
  }

  /** Step 3: with spec.verify, a trusted key's signature must name the digest before anything reaches the bucket. */
  async #verify(run: PullRun): Promise<StepResult> {
    const { source, keys } = required(run.state.session, "open");
    if (keys)
      run.state.verified = await source.verify(required(run.state.resolved, "resolve").digest, keys, run.ctx.signal);
    return "continue";
  }

  /** Step 4: pull the new digest into the bucket (and extract it), staging under a folder of this object's own. */
  async #pull(run: PullRun): Promise<StepResult> {
    const { obj, ctx, state } = run;
    const { spec } = state;
    const { source, registry } = required(state.session, "open");
    const resolved = required(state.resolved, "resolve");
    await run.status.progressing(`pulling ${registry}/${what(spec)}:${revisionOf(resolved)}`, {
      endpoints: state.endpoints,
    });
    const s3conn = await s3Connection({
      secrets: ctx.secrets,
      namespace: obj.metadata.namespace ?? "",
      location: spec.destination.s3,
      defaults: this.#deps.defaults,
      signal: ctx.signal,
    });
    // A folder per object, emptied first: what a killed operator left mid-pull goes at this object's next pull.
    const workDir = join(
      this.#deps.defaults.workDir,
      "artifactpull",
      obj.metadata.uid ?? `${obj.metadata.namespace}_${obj.metadata.name}`,
    );
    await rm(workDir, { recursive: true, force: true });
    run.defer(() => rm(workDir, { recursive: true, force: true }));
    await mkdir(workDir, { recursive: true });
    const { bucket, prefix } = spec.destination.s3;
    state.pulled = await source.pull(
      resolved.digest,
      { kind: "s3", connection: { ...s3conn, endpointPolicy: this.#deps.endpointPolicy }, bucket, prefix },
      {
        platform: spec.source.platform,
        extract: spec.extract,
        limits: { maxTotalBytes: spec.extractLimits.maxTotalBytes, maxEntries: spec.extractLimits.maxFiles },
        workDir,
        signal: ctx.signal,
      },
    );
    return "continue";
  }

  /** Ready with the pull's record when one ran; nothing to write when the digest was already there. */
  async #finish(run: PullRun): Promise<Result> {
    const { ctx, state } = run;
    const next = state.intervalMs === undefined ? {} : { requeueAfterMs: state.intervalMs };
    if (!state.pulled || !state.resolved) return next;
    const { bucket, prefix } = state.spec.destination.s3;
    const insecure = state.spec.source.insecureSkipTLSVerify === true;
    const summary = pulledSummary({
      resolved: state.resolved,
      files: state.pulled.files,
      destination: `s3://${bucket}/${prefix}`,
      extract: state.spec.extract,
      insecure,
      now: nowIso(),
    });
    const verdict = await run.status.summarize(() => ({
      ...summary,
      fields: { ...summary.fields, endpoints: state.endpoints },
      conditions: verifiedConditions(state.spec.verify, [state.verified], run.obj.metadata.generation),
    }));
    const event = insecure
      ? ({ type: "Warning", reason: "TLSVerificationDisabled" } as const)
      : ({ type: "Normal", reason: "Pulled" } as const);
    await ctx.events.event(run.obj, { ...event, action: "Pull", note: verdict.message }, ctx.signal);
    const bytes = state.pulled.files.reduce((n, f) => n + (f.type === "file" ? f.size : 0), 0);
    this.#deps.metrics.bytesTransferred.inc({ controller: "artifactpull", direction: "download" }, bytes);
    return next;
  }
}

/** Builds the ArtifactPull controller. */
export function createArtifactPullController(deps: ControllerDeps): Controller {
  return new Controller({ name: "artifactpull", type: ARTIFACT_PULL, reconciler: new ArtifactPullReconciler(deps) });
}

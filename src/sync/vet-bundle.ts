// `airlift vet`'s checks, offline: the bundle is rendered and loaded exactly as a sync loads it (load-source.ts:
// kustomize, substitution, the loader's caps and duplicate check), then each object goes through the sync's scope
// rules (scope.ts) with its kind's resource type from the schema source, the duplicate check after scoping (a
// namespace filled in can make two objects one), and its kind's schema (schema-validate.ts). Every problem is a
// finding with the file and line of the object, never an exception: a user fixes them all in one pass.
import { realpath } from "node:fs/promises";
import { LoadError, SyncError } from "./errors.ts";
import { describeIdentity, identityKey, identityOf, type Manifest } from "./identity.ts";
import { loadSource, type RenderOptions } from "./load-source.ts";
import { substituteManifests } from "./substitute.ts";
import { workloadImages, type ImageUse } from "./workload-images.ts";
import type { SchemaValidator } from "./schema-validate.ts";
import { scopeObject, type ResolvedObject, type SyncScope } from "./scope.ts";
import { kustomizeOrigins } from "./kustomize-origins.ts";
import { SourceLines, splitSource } from "./source-lines.ts";

/** How load-source.ts names a rendered object's source. */
const RENDERED = "kustomize build ";

/** What a finding is about. */
export type VetCheck = "load" | "substitution" | "kind" | "scope" | "duplicate" | "schema";

/** One problem of the bundle. */
export interface VetFinding {
  /** The file (relative to the bundle root), or `kustomize build DIR` for a rendered object. */
  file: string;
  /** The loader's name of the object: the file with its document index (`app.yaml#2`). */
  source: string;
  line?: number;
  /** `Deployment apps/web`, when the finding is about one object. */
  object?: string;
  check: VetCheck;
  /** The engine's reason (the catalogue's) when the sync would report the same problem with one. */
  reason?: string;
  /** The field, for a schema finding (`spec.replicas`). */
  field?: string;
  message: string;
}

/** What to vet. */
export interface VetOptions {
  root: string;
  dir?: string;
  render: RenderOptions;
  substitute?: Readonly<Record<string, string>>;
  scope: SyncScope;
  /** Builds the schema checks once the objects are known (the bundle's CRDs add kinds); undefined: none. */
  schemas?: (manifests: readonly Manifest[]) => Promise<SchemaValidator>;
  signal?: AbortSignal;
}

/** The outcome: the objects loaded (0 when the load failed), every finding, and the images the workloads use. */
export interface VetResult {
  objects: number;
  findings: VetFinding[];
  /** The container images of the bundle's workloads (what must be carried across the gap with it). */
  images: ImageUse[];
}

interface Pass {
  lines: SourceLines;
  /** The file each rendered object came from (kustomize-origins.ts): traced once, on the first finding. */
  origins: () => Promise<Map<string, string>>;
  scope: SyncScope;
  validator: SchemaValidator | undefined;
  /** Identity keys seen so far, with their source. */
  seen: Map<string, string>;
}

/** Renders, loads and checks the bundle; see the file comment. */
export async function vetBundle(options: VetOptions): Promise<VetResult> {
  const lines = new SourceLines(options.root);
  let manifests: Manifest[];
  try {
    // Substituted below, object by object, so that every undefined variable is reported, each at its object.
    manifests = await loadSource({ ...options, substitute: undefined });
  } catch (err) {
    if (!(err instanceof SyncError)) throw err;
    const source = err instanceof LoadError ? err.file : (options.dir ?? ".");
    const at = { file: splitSource(source).file, source, line: await lines.line(source) };
    return { objects: 0, findings: [{ ...at, check: "load", reason: err.code, message: err.message }], images: [] };
  }
  const validator = await options.schemas?.(manifests);
  let traced: Promise<Map<string, string>> | undefined;
  const pass: Pass = {
    lines,
    origins: () => (traced ??= origins(options, manifests)),
    scope: options.scope,
    validator,
    seen: new Map(),
  };
  const findings: VetFinding[] = [];
  const checked: Manifest[] = [];
  for (const m of manifests) {
    const substituted = await substituteOne(pass, m, options.substitute);
    if (substituted instanceof Array) findings.push(...substituted);
    else {
      checked.push(substituted);
      findings.push(...(await checkObject(pass, substituted)));
    }
  }
  return { objects: manifests.length, findings, images: workloadImages(checked) };
}

/** The object with its variables replaced (none without values), or the finding of the variable it lacks. */
async function substituteOne(
  pass: Pass,
  m: Manifest,
  vars: Readonly<Record<string, string>> | undefined,
): Promise<Manifest | VetFinding[]> {
  if (vars === undefined) return m;
  try {
    return substituteManifests([m], vars)[0] ?? m;
  } catch (err) {
    if (!(err instanceof SyncError)) throw err;
    const object = describeIdentity(identityOf(m.object));
    return [{ ...(await where(pass, m)), object, check: "substitution", reason: err.code, message: err.message }];
  }
}

/** The findings of one object: its kind and scope, a duplicate of an earlier one, its schema. */
async function checkObject(pass: Pass, m: Manifest): Promise<VetFinding[]> {
  const resolved = resolve(m, pass.scope, pass.validator);
  if (resolved instanceof SyncError) {
    const check = resolved.code === "UnknownKind" ? "kind" : "scope";
    const object = describeIdentity(identityOf(m.object));
    return [{ ...(await where(pass, m)), object, check, reason: resolved.code, message: resolved.message }];
  }
  const out: VetFinding[] = [];
  const object = describeIdentity(resolved.identity);
  const key = identityKey(resolved.identity);
  const other = pass.seen.get(key);
  if (other !== undefined) {
    const message = `duplicate object ${object}: declared in ${other} and ${m.source}`;
    out.push({ ...(await where(pass, m)), object, check: "duplicate", reason: "DuplicateObject", message });
  }
  pass.seen.set(key, m.source);
  for (const f of pass.validator?.validate(resolved.manifest.object) ?? []) {
    const at = await where(pass, m, f.path);
    out.push({ ...at, object, check: "schema", field: f.field, message: `${object}: ${f.message}` });
  }
  return out;
}

/** The objects' origins when kustomize rendered them (none when it did not). */
async function origins(options: VetOptions, manifests: readonly Manifest[]): Promise<Map<string, string>> {
  const binary = options.render.kustomize;
  if (binary === undefined || !manifests.some((m) => m.source.startsWith(RENDERED))) return new Map();
  const root = await realpath(options.root);
  return kustomizeOrigins({
    binary,
    root,
    dir: options.dir ?? ".",
    limits: options.render.limits,
    signal: options.signal,
  });
}

/** The file and line of an object (or of one of its fields): its origin file for a rendered object. */
async function where(
  pass: Pass,
  m: Manifest,
  field: readonly string[] = [],
): Promise<{ file: string; source: string; line?: number }> {
  const origin = m.source.startsWith(RENDERED)
    ? (await pass.origins()).get(identityKey(identityOf(m.object)))
    : undefined;
  if (origin === undefined)
    return { file: splitSource(m.source).file, source: m.source, line: await pass.lines.line(m.source, field) };
  const object = { kind: m.object.kind, name: m.object.metadata.name ?? "" };
  return { file: origin, source: m.source, line: await pass.lines.objectLine(origin, object, field) };
}

/** The object with the scope applied; without a schema source every kind is taken as namespaced. */
function resolve(m: Manifest, scope: SyncScope, validator: SchemaValidator | undefined): ResolvedObject | SyncError {
  const { apiVersion, kind } = m.object;
  const type = validator
    ? validator.typeOf(apiVersion, kind)
    : { group: "", version: apiVersion, kind, plural: "", namespaced: true };
  if (type) return scopeObject(m, type, scope);
  const id = identityOf(m.object);
  return new SyncError(
    "UnknownKind",
    `${describeIdentity(id)} from ${m.source}: the cluster serves no kind ${kind} in ${apiVersion} and no CRD of the bundle defines it`,
    [id],
  );
}

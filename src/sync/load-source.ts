// What a sync applies from its directory: kustomize's output when the directory holds a kustomization (and rendering
// is not `none`), else every manifest file (loader.ts). A kustomization is never read as plain files: without the
// binary, or with rendering off, such a directory is refused (KustomizeUnavailable) rather than half-applied.
import { readdir, realpath } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { LoadError } from "./errors.ts";
import { describeIdentity, identityKey, identityOf, type Manifest } from "./identity.ts";
import { kustomizationFile } from "./kustomize-check.ts";
import { loadManifests, parseManifests, type LoadOptions } from "./loader.ts";
import { kustomizeBuild, type KustomizeLimits } from "./render-kustomize.ts";
import { substituteManifests } from "./substitute.ts";

/** How a directory is rendered: `auto` builds a kustomization when there is one, `kustomize` requires one. */
export type RenderMode = "auto" | "kustomize" | "none";

/** Rendering settings of a sync. */
export interface RenderOptions {
  mode: RenderMode;
  /** The kustomize binary; undefined when rendering is turned off for the operator or the binary is missing. */
  kustomize?: string;
  limits?: Partial<KustomizeLimits>;
}

/** Loads `root/dir` (rendered with kustomize when it holds a kustomization), then substitutes `substitute`'s values. */
export async function loadSource(
  options: LoadOptions & { render?: RenderOptions; substitute?: Readonly<Record<string, string>> },
): Promise<Manifest[]> {
  const manifests = await renderOrLoad(options);
  return options.substitute ? substituteManifests(manifests, options.substitute) : manifests;
}

async function renderOrLoad(options: LoadOptions & { render?: RenderOptions }): Promise<Manifest[]> {
  const mode = options.render?.mode ?? "auto";
  if (mode === "none") return await loadManifests(options);
  const dirRel = options.dir ?? ".";
  const realRoot = await realpath(options.root);
  const dir = await realpath(resolve(realRoot, dirRel)).catch(() => undefined);
  if (dir === undefined || !(await kustomizationFile(dir))) {
    await refuseUnrendered({ mode, dirRel, realRoot, dir });
    return await loadManifests(options);
  }
  const text = await kustomizeBuild({
    binary: kustomizeBinary(options.render, dirRel),
    root: realRoot,
    dir,
    limits: options.render?.limits,
    signal: options.signal,
  });
  return unique(parseManifests(text, `kustomize build ${dirRel}`, options.limits?.maxAliasCount));
}

/** The binary to render with; KustomizeUnavailable when rendering is off. */
function kustomizeBinary(render: RenderOptions | undefined, dirRel: string): string {
  if (render?.kustomize !== undefined) return render.kustomize;
  throw new LoadError(
    "KustomizeUnavailable",
    dirRel,
    `${dirRel} holds a kustomization but this operator does not render (kustomize turned off or not installed); its files are not applied as they stand`,
  );
}

/** A folder without a kustomization: fine, unless kustomize was required or a sub-folder holds one. */
async function refuseUnrendered(at: {
  mode: RenderMode;
  dirRel: string;
  realRoot: string;
  dir: string | undefined;
}): Promise<void> {
  const { mode, dirRel, realRoot, dir } = at;
  if (mode === "kustomize")
    throw new LoadError("RenderFailed", dirRel, `render is kustomize but ${dirRel} holds no kustomization.yaml`);
  const nested = dir === undefined ? undefined : await nestedKustomization(dir, 0);
  if (nested === undefined) return;
  const where = relative(realRoot, nested);
  throw new LoadError(
    "RenderRefused",
    where,
    `${where} holds a kustomization but ${dirRel} does not: point spec.oci.dir at it, or list it in a kustomization.yaml at ${dirRel}`,
  );
}

/** The first folder under `dir` holding a kustomization (bounded depth), else undefined. */
async function nestedKustomization(dir: string, depth: number): Promise<string | undefined> {
  if (depth > 8) return undefined;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = join(dir, entry.name);
    if (await kustomizationFile(sub)) return sub;
    const deeper = await nestedKustomization(sub, depth + 1);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

/** kustomize refuses duplicates itself; kept so the loader's guarantee holds for every source. */
function unique(manifests: Manifest[]): Manifest[] {
  const seen = new Set<string>();
  for (const m of manifests) {
    const key = identityKey(identityOf(m.object));
    if (seen.has(key))
      throw new LoadError("DuplicateObject", m.source, `duplicate object ${describeIdentity(identityOf(m.object))}`);
    seen.add(key);
  }
  return manifests;
}

// Where each object of a kustomize build came from, so `airlift vet` can point at `base/web.yaml:12` instead of
// "document 7 of the build": the bundle is copied, kustomize's own origin tracking (`buildMetadata:
// [originAnnotations]`, https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/buildmetadata/) is
// switched on in the copy's top kustomization, and the copy is built once more with the same bounded child
// (render-kustomize.ts). The build that is checked stays the one the sync does; this one only names files. Best
// effort: any failure gives no origins, and the findings keep the build's name.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, normalize, relative } from "node:path";
import { parse, parseDocument } from "yaml";
import { identityKey, identityOf } from "./identity.ts";
import { kustomizationFile } from "./kustomize-check.ts";
import { parseManifests } from "./loader.ts";
import { kustomizeBuild, type KustomizeLimits } from "./render-kustomize.ts";

const ORIGIN = "config.kubernetes.io/origin";

/** One build to trace. */
export interface OriginRequest {
  binary: string;
  /** The bundle root (real path). */
  root: string;
  /** The folder holding the kustomization, relative to root. */
  dir: string;
  limits?: Partial<KustomizeLimits>;
  signal?: AbortSignal;
}

/** identityKey of each rendered object → its file, relative to the root ({} on any failure). */
export async function kustomizeOrigins(request: OriginRequest): Promise<Map<string, string>> {
  const scratch = await mkdtemp(join(tmpdir(), "airlift-origins-"));
  try {
    const root = join(scratch, "root");
    await cp(request.root, root, { recursive: true, verbatimSymlinks: true });
    const dir = join(root, request.dir);
    const file = await kustomizationFile(dir);
    if (!file) return new Map();
    const doc = parseDocument(await readFile(file, "utf8"));
    const metadata = (doc.toJS() as { buildMetadata?: unknown } | null)?.buildMetadata;
    const list = Array.isArray(metadata) ? (metadata as unknown[]) : [];
    doc.set("buildMetadata", [...new Set([...list, "originAnnotations"])]);
    await writeFile(file, doc.toString());
    const text = await kustomizeBuild({
      binary: request.binary,
      root,
      dir,
      limits: request.limits,
      signal: request.signal,
    });
    return originsOf(text, request.dir);
  } catch {
    return new Map();
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function originsOf(text: string, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of parseManifests(text, "origins")) {
    const origin = parse(m.object.metadata.annotations?.[ORIGIN] ?? "") as
      { path?: unknown; configuredIn?: unknown } | null | undefined;
    const path = typeof origin?.path === "string" ? origin.path : origin?.configuredIn;
    if (typeof path !== "string") continue;
    const file = normalize(join(dir, path));
    if (!file.startsWith("..")) out.set(identityKey(identityOf(m.object)), relative(".", file));
  }
  return out;
}

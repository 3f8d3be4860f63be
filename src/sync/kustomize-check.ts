// Reads the kustomization files a `kustomize build` would read, before it runs, and refuses what must never happen
// in an operator: a remote base (git or HTTP), `helmCharts` (runs helm, fetches charts), exec / container / Go
// plugins (non-builtin generators and transformers, KRM functions), and any file or base outside the extraction
// root (kustomize's own LoadRestrictionsRootOnly lets a base directory sit anywhere: `../../` could leave the root).
import { readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { parseAllDocuments } from "yaml";
import { LoadError } from "./errors.ts";

/** The names kustomize looks for, in its order. */
export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"] as const;

/** The kustomization file of `dir`, or undefined. */
export async function kustomizationFile(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) return path;
  }
  return undefined;
}

const REFUSED_FIELDS = ["helmCharts", "helmChartInflationGenerator", "helmGlobals"] as const;
const PLUGIN_FIELDS = ["generators", "transformers", "validators"] as const;
const FUNCTION_ANNOTATIONS = ["config.kubernetes.io/function", "config.k8s.io/function"];

interface Check {
  realRoot: string;
  visited: Set<string>;
}

type Doc = Record<string, unknown>;

const rel = (c: Check, path: string): string => relative(c.realRoot, path) || ".";
const inside = (root: string, p: string): boolean => {
  const r = relative(root, p);
  return r === "" || (!r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r));
};
const refuse = (file: string, message: string): LoadError => new LoadError("RenderRefused", file, message);

/**
 * Checks the kustomization of `dir` and every base and component it reaches; throws a LoadError (RenderRefused)
 * naming the kustomization file and the entry. `root` is the extraction root.
 */
export async function checkKustomization(root: string, dir: string): Promise<void> {
  const c: Check = { realRoot: await realpath(root), visited: new Set() };
  await checkDir(c, await realpath(dir));
}

async function checkDir(c: Check, dir: string): Promise<void> {
  if (c.visited.has(dir)) return;
  c.visited.add(dir);
  const file = await kustomizationFile(dir);
  if (!file) return; // a plain folder used as a resource: kustomize itself says it lacks a kustomization
  const where = rel(c, file);
  const doc = parseAllDocuments(await readFile(file, "utf8"))[0]?.toJS({ maxAliasCount: 100 }) as Doc | undefined;
  if (!doc || typeof doc !== "object") return;
  refuseHelm(doc, where);
  for (const entry of [...strings(doc.resources), ...strings(doc.bases), ...strings(doc.components)]) {
    const target = await localPath(c, dir, entry, where);
    if ((await stat(target)).isDirectory()) await checkDir(c, target);
  }
  for (const entry of fileRefs(doc)) await localPath(c, dir, entry, where);
  for (const field of PLUGIN_FIELDS) await checkPlugins(c, dir, doc[field], where);
}

function refuseHelm(doc: Doc, where: string): void {
  const helm = REFUSED_FIELDS.find((field) => doc[field] !== undefined);
  if (helm !== undefined)
    throw refuse(where, `refused ${where}: ${helm} runs helm and fetches charts; render the chart into the image`);
}

/** Resolves a reference of a kustomization: it must exist inside the root (else remote or escaping, refused). */
async function localPath(c: Check, dir: string, entry: string, where: string): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith("git@") || entry.includes("?ref="))
    throw refuse(where, `refused ${where}: remote resource ${entry}; vendor it into the image (no network)`);
  const target = resolve(dir, entry);
  if (!inside(c.realRoot, target))
    throw refuse(where, `refused ${where}: ${entry} is outside the image's root (LoadRestrictionsRootOnly)`);
  const real = await realpath(target).catch(() => undefined);
  if (real === undefined)
    throw refuse(where, `refused ${where}: ${entry} is not a file or folder of the image (remote bases are refused)`);
  if (!inside(c.realRoot, real))
    throw refuse(where, `refused ${where}: ${entry} resolves outside the image's root (symlink)`);
  return real;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

const items = (v: unknown): Doc[] => (Array.isArray(v) ? v.filter((x): x is Doc => !!x && typeof x === "object") : []);
const pathOf = (v: unknown): string[] => {
  const path = (v as Doc | undefined)?.path;
  return typeof path === "string" ? [path] : [];
};

/** Paths of patches, generator files, CRDs, configurations, OpenAPI and replacements. */
function fileRefs(doc: Doc): string[] {
  const out = [...strings(doc.patchesStrategicMerge).filter((s) => !s.includes("\n")), ...strings(doc.crds)];
  out.push(...strings(doc.configurations), ...pathOf(doc.openapi));
  for (const field of ["patches", "patchesJson6902", "replacements"]) out.push(...items(doc[field]).flatMap(pathOf));
  for (const gen of [...items(doc.configMapGenerator), ...items(doc.secretGenerator)]) {
    const files = [...strings(gen.files), ...strings(gen.envs), ...strings([gen.env])];
    out.push(...files.map((f) => f.slice(f.indexOf("=") + 1)));
  }
  return out;
}

/** generators / transformers / validators: builtin plugin configs only (inline or files), never exec or functions. */
async function checkPlugins(c: Check, dir: string, entries: unknown, where: string): Promise<void> {
  for (const entry of strings(entries)) {
    const text = await pluginText(c, dir, entry, where);
    for (const d of parseAllDocuments(text ?? "")) refusePlugin(d.toJS({ maxAliasCount: 100 }) as Doc | null, where);
  }
}

/** A plugin config must be a builtin one with no function annotation. */
function refusePlugin(obj: Doc | null, where: string): void {
  const annotations = ((obj?.metadata as Doc | undefined)?.annotations ?? {}) as Doc;
  const fn = FUNCTION_ANNOTATIONS.some((a) => annotations[a] !== undefined);
  if (fn || obj?.apiVersion !== "builtin")
    throw refuse(
      where,
      `refused ${where}: plugin ${String(obj?.kind)} (${String(obj?.apiVersion)}) is not a builtin; exec, container and KRM-function plugins never run`,
    );
}

/** An inline plugin config, a file's text, or undefined for a folder (checked as a kustomization). */
async function pluginText(c: Check, dir: string, entry: string, where: string): Promise<string | undefined> {
  if (entry.includes("\n")) return entry;
  const target = await localPath(c, dir, entry, where);
  if (!(await stat(target)).isDirectory()) return await readFile(target, "utf8");
  await checkDir(c, target);
  return undefined;
}

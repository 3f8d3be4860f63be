// Reads the manifests of a sync directory: every *.yaml, *.yml and *.json file under `dir`, recursively.
// Strict by default (docs/DESIGN.md "Extraction: be Argo-strict"): the directory and every symlink must stay inside the
// root, files and the total are size-capped, YAML aliases are capped (a "billion laughs" document expands
// exponentially), and any file that fails to parse fails the whole load, so nothing is applied or pruned from a
// partial set.
import { lstat, open, readdir, realpath, stat } from "node:fs/promises";
import { extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { isAlias, isCollection, isPair, isScalar, parseAllDocuments, visit, type Document } from "yaml";
import { LoadError } from "./errors.ts";
import { describeIdentity, identityKey, identityOf, type Manifest } from "./identity.ts";

/** Caps of one load; every one is configurable. */
export interface LoadLimits {
  /** Largest single file, in bytes (default 2 MiB: an object over ~1.5 MiB cannot be stored anyway). */
  maxFileBytes: number;
  /** Sum of all manifest files, in bytes (default 64 MiB). */
  maxTotalBytes: number;
  /** Most manifest files (default 100,000; never more than maxObjects is useful, a file holds one object or more). */
  maxFiles: number;
  /** Most objects of one sync (default 100,000; the operator's `--sync-max-objects`). */
  maxObjects: number;
  /** Most alias expansions per document (the yaml package's `maxAliasCount`, default 100). */
  maxAliasCount: number;
  /** Deepest directory nesting (default 32). */
  maxDepth: number;
}

/** Defaults of LoadLimits. */
export const DEFAULT_LOAD_LIMITS: Readonly<LoadLimits> = {
  maxFileBytes: 2 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  maxFiles: 100_000,
  maxObjects: 100_000,
  maxAliasCount: 100,
  maxDepth: 32,
};

/** What to load. */
export interface LoadOptions {
  /** The extracted image: nothing outside it is ever read. */
  root: string;
  /** Directory inside `root` (relative; default the root itself). */
  dir?: string;
  limits?: Partial<LoadLimits>;
  signal?: AbortSignal;
}

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/**
 * `dir` is not a folder of the root (absent, or a file): the source lacks what the spec names, which a new source
 * fixes, unlike a file that fails to load. The one check of it; callers read it from the load's error.
 */
export class DirNotFoundError extends LoadError {
  constructor(dir: string, message: string, options?: ErrorOptions) {
    super("DirNotFound", dir, message, options);
  }
}

/** True for "no such file" errors, including a path component that is a file. */
function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** True when `child` is `parent` or inside it (both absolute, normalised). */
function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

interface Walk {
  realRoot: string;
  limits: LoadLimits;
  signal: AbortSignal | undefined;
  visitedDirs: Set<string>;
  files: { real: string; rel: string }[];
}

/**
 * Loads every manifest under `root/dir`, sorted by path; throws a LoadError naming the file on any problem
 * (parse error with line and column, escape, cap, duplicate identity).
 */
export async function loadManifests(options: LoadOptions): Promise<Manifest[]> {
  const limits = { ...DEFAULT_LOAD_LIMITS, ...options.limits };
  const realRoot = await realpath(options.root);
  const { start, realStart } = await startFolder(realRoot, options.dir ?? ".");
  const walk: Walk = { realRoot, limits, signal: options.signal, visitedDirs: new Set(), files: [] };
  await walkDir(walk, realStart, relative(realRoot, start), 0);

  let total = 0;
  const manifests: Manifest[] = [];
  const seen = new Map<string, string>();
  for (const file of walk.files) {
    options.signal?.throwIfAborted();
    const text = await readCapped(file.real, file.rel, limits.maxFileBytes);
    total += Buffer.byteLength(text);
    if (total > limits.maxTotalBytes) {
      throw new LoadError(
        "SizeLimitExceeded",
        file.rel,
        `failed to load ${file.rel}: manifests exceed the total cap of ${limits.maxTotalBytes} bytes`,
      );
    }
    for (const m of parseManifests(text, file.rel, limits.maxAliasCount)) {
      const key = identityKey(identityOf(m.object));
      const other = seen.get(key);
      if (other !== undefined) {
        throw new LoadError(
          "DuplicateObject",
          m.source,
          `duplicate object ${describeIdentity(identityOf(m.object))}: declared in ${other} and ${m.source}`,
        );
      }
      seen.set(key, m.source);
      manifests.push(m);
      if (manifests.length > limits.maxObjects) {
        throw new LoadError(
          "ObjectLimitExceeded",
          m.source,
          `failed to load ${m.source}: the source holds more than ${limits.maxObjects} objects, the per-sync limit (split it into several OciSyncs, or raise the operator's --sync-max-objects)`,
        );
      }
    }
  }
  return manifests;
}

/** `dir` inside the root, as written and resolved: it must stay inside the root and be a directory (the one check). */
async function startFolder(realRoot: string, dir: string): Promise<{ start: string; realStart: string }> {
  if (isAbsolute(dir))
    throw new LoadError("PathEscape", dir, `failed to load ${dir}: dir must be relative to the root`);
  const start = resolve(realRoot, dir);
  if (!isInside(realRoot, start)) throw new LoadError("PathEscape", dir, `failed to load ${dir}: dir escapes the root`);
  let realStart: string;
  try {
    realStart = await realpath(start);
  } catch (err) {
    if (isMissing(err))
      throw new DirNotFoundError(dir, `failed to load ${dir}: the source has no directory "${dir}"`, { cause: err });
    throw new LoadError("InvalidYAML", dir, `failed to load ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (!isInside(realRoot, realStart))
    throw new LoadError("PathEscape", dir, `failed to load ${dir}: dir resolves outside the root`);
  if (!(await stat(realStart)).isDirectory())
    throw new DirNotFoundError(dir, `failed to load ${dir}: "${dir}" is not a directory`);
  return { start, realStart };
}

async function walkDir(walk: Walk, realDir: string, relDir: string, depth: number): Promise<void> {
  walk.signal?.throwIfAborted();
  if (depth > walk.limits.maxDepth)
    throw new LoadError(
      "SizeLimitExceeded",
      relDir,
      `failed to load ${relDir}: nested deeper than ${walk.limits.maxDepth} directories`,
    );
  // A symlink loop inside the root would otherwise recurse forever.
  if (walk.visitedDirs.has(realDir)) return;
  walk.visitedDirs.add(realDir);
  const entries = (await readdir(realDir)).sort();
  for (const name of entries) {
    const rel = relDir ? join(relDir, name) : name;
    const real = await resolveEntry(walk, join(realDir, name), rel);
    if (!real) continue;
    if (real.isDir) await walkDir(walk, real.path, rel, depth + 1);
    else if (MANIFEST_EXTENSIONS.has(extname(name).toLowerCase())) {
      walk.files.push({ real: real.path, rel });
      if (walk.files.length > walk.limits.maxFiles)
        throw new LoadError(
          "ObjectLimitExceeded",
          rel,
          `failed to load ${rel}: the source holds more than ${walk.limits.maxFiles} manifest files, the per-sync limit (split it into several OciSyncs, or raise the operator's --sync-max-objects)`,
        );
    }
  }
}

/** Resolves a directory entry, following a symlink only when its target stays inside the root. */
async function resolveEntry(
  walk: Walk,
  path: string,
  rel: string,
): Promise<{ path: string; isDir: boolean } | undefined> {
  const info = await lstat(path);
  if (info.isDirectory()) return { path, isDir: true };
  if (info.isFile()) return { path, isDir: false };
  if (!info.isSymbolicLink()) return undefined; // sockets, FIFOs, devices: never manifests
  let target: string;
  try {
    target = await realpath(path);
  } catch {
    throw new LoadError("InvalidYAML", rel, `failed to load ${rel}: dangling symlink`);
  }
  if (!isInside(walk.realRoot, target))
    throw new LoadError("PathEscape", rel, `failed to load ${rel}: symlink points outside the root`);
  const targetInfo = await stat(target);
  if (targetInfo.isDirectory()) return { path: target, isDir: true };
  return targetInfo.isFile() ? { path: target, isDir: false } : undefined;
}

/** Reads a file as UTF-8, counting bytes actually read (never trusting a size taken before the read). */
async function readCapped(path: string, rel: string, cap: number): Promise<string> {
  const handle = await open(path, "r");
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read({ buffer: Buffer.allocUnsafe(64 * 1024) });
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > cap)
        throw new LoadError("SizeLimitExceeded", rel, `failed to load ${rel}: file exceeds the cap of ${cap} bytes`);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, size).toString("utf8");
  } finally {
    await handle.close();
  }
}

/** Parses every document of one file into manifests; `file` names the file in errors. */
export function parseManifests(
  text: string,
  file: string,
  maxAliasCount: number = DEFAULT_LOAD_LIMITS.maxAliasCount,
): Manifest[] {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: Manifest[] = [];
  docs.forEach((doc, i) => {
    const source = docs.length > 1 ? `${file}#${i + 1}` : file;
    const parseError = doc.errors[0];
    if (parseError) {
      const pos = parseError.linePos?.[0];
      const at = pos ? `:${pos.line}:${pos.col}` : "";
      const reason = parseError.message.split("\n")[0] ?? parseError.code;
      throw new LoadError("InvalidYAML", file, `failed to parse ${file}${at}: ${reason}`, { cause: parseError });
    }
    refuseComplexKeys(doc, text, file, source);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount });
    } catch (err) {
      // The yaml package throws a ReferenceError when alias expansion exceeds maxAliasCount.
      throw new LoadError("SizeLimitExceeded", file, `failed to parse ${source}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    collect(compacted(value), source, out);
  });
  return out;
}

/**
 * A fresh copy of a decoded document when JSON holds it exactly (what is applied is its JSON anyway): the strings
 * the yaml package returns keep its parse buffers alive, measured at 2.1 KB per small ConfigMap instead of 0.6 KB,
 * which at 50,000 objects is 75 MiB of heap. Non-finite numbers, -0 (`.inf`, `-0`) and circles keep the decoded value.
 */
function compacted(value: unknown): unknown {
  let exact = true;
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))) exact = false;
      return v;
    });
  } catch {
    return value; // a circle (an alias of its own ancestor) has no JSON: left as decoded, as before
  }
  return exact && text !== undefined ? JSON.parse(text) : value;
}

/**
 * A mapping key that is itself a map or a list has no JSON form: the yaml package would turn it into a string and
 * print a process warning. No Kubernetes object has one, so it is refused with its position.
 */
function refuseComplexKeys(doc: Document.Parsed, text: string, file: string, source: string): void {
  visit(doc, {
    Pair(_key, pair) {
      if (!isPair(pair) || !complexKey(pair.key, doc)) return;
      const offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0];
      const at = offset === undefined ? "" : `:${text.slice(0, offset).split("\n").length}`;
      throw new LoadError(
        "InvalidYAML",
        file,
        `failed to parse ${source}${at}: a mapping key is itself a map, a list or binary`,
      );
    },
  });
}

/** A key with no JSON form: a map or list, an alias of one, or a scalar that is not a string, number, boolean or null. */
function complexKey(key: unknown, doc: Document.Parsed): boolean {
  const node = isAlias(key) ? key.resolve(doc) : key;
  if (isCollection(node)) return true;
  if (!isScalar(node)) return false;
  const v = node.value;
  return (
    v !== null && typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean" && typeof v !== "bigint"
  );
}

/** A decoded document that claims to be an object (has apiVersion or kind), with both checked; else undefined. */
function typedObject(
  value: unknown,
  source: string,
): (Record<string, unknown> & { apiVersion: string; kind: string }) | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined; // not a manifest
  const rec = value as Record<string, unknown>;
  if (rec.apiVersion === undefined && rec.kind === undefined) return undefined; // not a manifest
  if (typeof rec.apiVersion !== "string" || !rec.apiVersion || typeof rec.kind !== "string" || !rec.kind) {
    throw new LoadError(
      "InvalidYAML",
      source,
      `invalid object in ${source}: apiVersion and kind must both be non-empty strings`,
    );
  }
  return rec as Record<string, unknown> & { apiVersion: string; kind: string };
}

/** Narrows one decoded document (the edge where unknown YAML becomes typed) and expands `kind: List`. */
function collect(value: unknown, source: string, out: Manifest[]): void {
  const rec = typedObject(value, source);
  if (!rec) return;
  if (rec.kind === "List" && Array.isArray(rec.items)) {
    rec.items.forEach((item, i) => collect(item, `${source}/items/${i}`, out));
    return;
  }
  const m = checkedMetadata(rec.metadata, rec.kind, source);
  if (isLocalConfig(rec.apiVersion, m)) return;
  out.push({ object: rec as Manifest["object"], source });
}

/** Narrows `metadata`: an object with a non-empty name and, when present, a string namespace. */
function checkedMetadata(meta: unknown, kind: string, source: string): Record<string, unknown> {
  if (!meta || typeof meta !== "object" || Array.isArray(meta))
    throw new LoadError("InvalidYAML", source, `invalid ${kind} in ${source}: no metadata`);
  const m = meta as Record<string, unknown>;
  if (typeof m.name !== "string" || !m.name)
    throw new LoadError("InvalidYAML", source, `invalid ${kind} in ${source}: no metadata.name`);
  if (m.namespace !== undefined && typeof m.namespace !== "string") {
    throw new LoadError(
      "InvalidYAML",
      source,
      `invalid ${kind} ${m.name} in ${source}: metadata.namespace is not a string`,
    );
  }
  return m;
}

/** kustomize files and objects marked local-only (`config.kubernetes.io/local-config: "true"`) are never applied. */
function isLocalConfig(apiVersion: string, meta: Record<string, unknown>): boolean {
  if (apiVersion.startsWith("kustomize.config.k8s.io/")) return true;
  const annotations = meta.annotations as Record<string, unknown> | undefined;
  return annotations?.["config.kubernetes.io/local-config"] === "true";
}

// The line each loaded object starts on, for `file:line` messages: the loader names an object by its file and
// document index (`apps/web.yaml#3`, `list.yaml#2/items/4`); this reads the file again and finds where that YAML
// document begins. Rendered objects (`kustomize build overlays/prod#12`) have no file of their own: no line.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isNode, parseAllDocuments, type Document } from "yaml";

/** A source split into its file, 1-based document index (1 for a single-document file) and path to a List item. */
export function splitSource(source: string): { file: string; doc: number; items: string[] } {
  const m = /^(.*?)(?:#(\d+))?((?:\/items\/\d+)*)$/.exec(source);
  const items = (m?.[3] ?? "").split("/").filter(Boolean);
  return { file: m?.[1] ?? source, doc: Number(m?.[2] ?? "1"), items };
}

interface Parsed {
  docs: Document.Parsed[];
  lineStarts: number[];
}

/** Resolves `file:line` for sources under `root`; files are read once each. */
export class SourceLines {
  readonly #root: string;
  readonly #files = new Map<string, Promise<Parsed | undefined>>();

  constructor(root: string) {
    this.#root = root;
  }

  /**
   * The 1-based line of `field` (path segments) in the source's document, else of its nearest parent written there,
   * else of the document; undefined when the source is not a file of the root.
   */
  async line(source: string, field: readonly string[] = []): Promise<number | undefined> {
    const { file, doc, items } = splitSource(source);
    if (file.startsWith("kustomize build ")) return undefined;
    const p = await this.#parsed(file);
    const d = p?.docs[doc - 1];
    return p && d ? lineOf(p.lineStarts, nearestOffset(d, [...items, ...field])) : undefined;
  }

  /**
   * The line of `field` in the document of `file` that declares an object of `kind` named `name` (or, after a
   * namePrefix, a suffix or a generator's hash, a name that contains the declared one); else the file's first line.
   */
  async objectLine(
    file: string,
    object: { kind: string; name: string },
    field: readonly string[] = [],
  ): Promise<number> {
    const p = await this.#parsed(file);
    if (!p) return 1;
    const declared = p.docs.map((d) => d.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null);
    const named =
      (exact: boolean) =>
      (js: (typeof declared)[number]): boolean => {
        const n = js?.metadata?.name;
        return (
          js?.kind === object.kind && typeof n === "string" && (exact ? n === object.name : object.name.includes(n))
        );
      };
    const i = declared.findIndex(named(true));
    const d = p.docs[i >= 0 ? i : declared.findIndex(named(false))];
    return d ? lineOf(p.lineStarts, nearestOffset(d, field)) : 1;
  }

  #parsed(file: string): Promise<Parsed | undefined> {
    let parsed = this.#files.get(file);
    if (!parsed) {
      parsed = parseFile(join(this.#root, file));
      this.#files.set(file, parsed);
    }
    return parsed;
  }
}

async function parseFile(path: string): Promise<Parsed | undefined> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const docs = parseAllDocuments(text);
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  return { docs: Array.isArray(docs) ? docs : [], lineStarts };
}

/** Where the deepest written part of `path` starts in the document. */
function nearestOffset(d: Document.Parsed, path: readonly string[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? d.contents : d.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return d.range[0];
}

/** The 1-based line holding `offset`. */
function lineOf(lineStarts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

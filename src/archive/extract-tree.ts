// The folder an extraction writes into, with every write checked: parents are created as real folders and never
// followed through a symlink, files are created with O_EXCL|O_NOFOLLOW, modes lose setuid/setgid/sticky, and
// byte caps count the bytes actually written. Whiteouts remove only what lower layers put there.
import { constants, type Stats } from "node:fs";
import { link, lstat, mkdir, open, readdir, rm, symlink, chmod } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { ExtractionRefusedError, quoteName } from "./errors.ts";
import { checkSymlinkTarget, entrySegments } from "./extract-paths.ts";

/** Caps of one extraction (all on by default). */
export interface ExtractLimits {
  /** Bytes written in all (default 1 GiB). */
  maxTotalBytes: number;
  /** Bytes of any one file (default 512 MiB). */
  maxFileBytes: number;
  /** Entries across all layers, whiteouts and folders included (default 100,000). */
  maxEntries: number;
}

export const defaultLimits: ExtractLimits = { maxTotalBytes: 1 << 30, maxFileBytes: 512 << 20, maxEntries: 100_000 };

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** The tree being extracted into (a fresh private folder). */
export class ExtractionTree {
  readonly root: string;
  readonly limits: ExtractLimits;
  #bytes = 0;
  #entries = 0;
  /** Paths (joined segments) created by the layer being applied: whiteouts spare them. */
  #layerPaths = new Set<string>();

  constructor(root: string, limits: ExtractLimits) {
    this.root = root;
    this.limits = limits;
  }

  get bytesWritten(): number {
    return this.#bytes;
  }

  /** Starts a new layer: whiteouts from now on apply to everything extracted so far. */
  nextLayer(): void {
    this.#layerPaths = new Set();
  }

  /** Counts one entry against the entry cap. */
  countEntry(name: string): void {
    if (++this.#entries > this.limits.maxEntries) {
      throw new ExtractionRefusedError("EntryLimit", `more than ${this.limits.maxEntries} entries`, name);
    }
  }

  #abs(segments: readonly string[]): string {
    return join(this.root, ...segments);
  }

  /** Makes every parent of `segments` a real folder; refuses to go through a symlink. */
  async #parents(segments: readonly string[], name: string): Promise<void> {
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i);
      const path = this.#abs(dir);
      const st = await lstatOrUndefined(path);
      if (st?.isSymbolicLink())
        throw new ExtractionRefusedError(
          "SymlinkEscape",
          `entry ${quoteName(name)} would be written through the symlink ${quoteName(dir.join("/"))}`,
          name,
        );
      if (st?.isDirectory()) continue;
      if (st) await rm(path, { force: true, recursive: true });
      await mkdir(path, { mode: 0o755 });
      this.#layerPaths.add(dir.join("/"));
    }
  }

  /** Removes whatever is at `segments` (never following a symlink). */
  async #clear(segments: readonly string[]): Promise<void> {
    await rm(this.#abs(segments), { force: true, recursive: true });
  }

  async directory(segments: string[], mode: number, name: string): Promise<void> {
    await this.#parents(segments, name);
    const path = this.#abs(segments);
    const st = await lstatOrUndefined(path);
    if (st && !st.isDirectory()) await this.#clear(segments);
    if (!st?.isDirectory()) await mkdir(path, { mode: 0o755 });
    // Keep the folder writable for the owner, so later entries and layers can still be written into it.
    await chmod(path, (mode & 0o777) | 0o700);
    this.#layerPaths.add(segments.join("/"));
  }

  /** Writes a regular file from `body`, counting the bytes that actually arrive against both caps. */
  async file(segments: string[], mode: number, body: Readable, name: string): Promise<number> {
    await this.#parents(segments, name);
    await this.#clear(segments);
    const handle = await open(
      this.#abs(segments),
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode & 0o777,
    );
    let size = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        this.#bytes += chunk.length;
        if (size > this.limits.maxFileBytes)
          throw new ExtractionRefusedError(
            "SizeLimit",
            `entry ${quoteName(name)} exceeds the ${this.limits.maxFileBytes}-byte file cap`,
            name,
          );
        if (this.#bytes > this.limits.maxTotalBytes)
          throw new ExtractionRefusedError(
            "SizeLimit",
            `extraction exceeds the ${this.limits.maxTotalBytes}-byte total cap`,
            name,
          );
        await handle.write(chunk);
      }
    } finally {
      await handle.close();
    }
    this.#layerPaths.add(segments.join("/"));
    return size;
  }

  async symlink(segments: string[], target: string, name: string): Promise<void> {
    checkSymlinkTarget(segments, target, name);
    await this.#parents(segments, name);
    await this.#clear(segments);
    await symlink(target, this.#abs(segments));
    this.#layerPaths.add(segments.join("/"));
  }

  /** A hard link to a regular file already extracted inside the root (never to a symlink). */
  async hardlink(segments: string[], linkname: string, name: string): Promise<void> {
    let target: string[];
    try {
      target = entrySegments(linkname);
    } catch {
      throw new ExtractionRefusedError(
        "SymlinkEscape",
        `hardlink ${quoteName(name)} -> ${quoteName(linkname)} escapes the root`,
        name,
      );
    }
    if (target.length === 0)
      throw new ExtractionRefusedError("SymlinkEscape", `hardlink ${quoteName(name)} points at the root`, name);
    await this.#parents(target, name);
    const st = await lstatOrUndefined(this.#abs(target));
    if (!st?.isFile())
      throw new ExtractionRefusedError(
        "UnsupportedEntry",
        `hardlink ${quoteName(name)} -> ${quoteName(linkname)}: target is not an extracted regular file`,
        name,
      );
    await this.#parents(segments, name);
    await this.#clear(segments);
    await link(this.#abs(target), this.#abs(segments));
    this.#layerPaths.add(segments.join("/"));
  }

  /** `.wh.<name>`: removes a lower layer's entry. */
  async whiteout(segments: string[], name: string): Promise<void> {
    if (this.#layerPaths.has(segments.join("/"))) return;
    if (!(await this.#parentsExist(segments, name))) return;
    await this.#clear(segments);
  }

  /** `.wh..wh..opq`: empties a folder of what lower layers put in it. */
  async opaque(dir: string[], name: string): Promise<void> {
    if (!(await this.#parentsExist([...dir, "x"], name))) return;
    const st = await lstatOrUndefined(this.#abs(dir));
    if (!st?.isDirectory()) return;
    await this.#clearLower(dir);
  }

  async #clearLower(dir: string[]): Promise<void> {
    for (const child of await readdir(this.#abs(dir))) {
      const segments = [...dir, child];
      const key = segments.join("/");
      if (!this.#layerPaths.has(key)) await this.#clear(segments);
      else if ((await lstat(this.#abs(segments))).isDirectory()) await this.#clearLower(segments);
    }
  }

  /** True when every parent of `segments` is a real folder; refuses a path through a symlink. */
  async #parentsExist(segments: readonly string[], name: string): Promise<boolean> {
    for (let i = 1; i < segments.length; i++) {
      const st = await lstatOrUndefined(this.#abs(segments.slice(0, i)));
      if (!st) return false;
      if (st.isSymbolicLink())
        throw new ExtractionRefusedError("SymlinkEscape", `whiteout ${quoteName(name)} goes through a symlink`, name);
      if (!st.isDirectory()) return false;
    }
    return true;
  }
}

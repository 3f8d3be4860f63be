// OciSync's staging folder: one sub-folder per source digest, published by rename (src/archive extractLayers), so
// the apply stage always reads one complete tree (Config Sync's symlink swap, done with a rename). What a killed
// extraction left behind and the folders of older digests are removed here.
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { removeExtractionLeftovers } from "../archive/extract.ts";

/** The folder of one digest under `base`. */
export function digestFolder(base: string, digest: string): string {
  return join(base, digest.replace(":", "-"));
}

/**
 * True when the digest's folder was extracted before (a restart or an unchanged digest reuses it). Tidies `base`
 * first: one OciSync is reconciled by one worker at a time, so a temporary folder here was left by a process that
 * died mid-extraction; and when the digest's folder is there, other digests' folders are stale.
 */
export async function reuseFolder(base: string, digest: string): Promise<boolean> {
  await removeExtractionLeftovers(base);
  const target = digestFolder(base, digest);
  const present = await stat(target).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (present) await removeOtherFolders(base, target);
  return present;
}

/** Removes every digest folder of `base` but `keep`. */
export async function removeOtherFolders(base: string, keep: string): Promise<void> {
  const keepName = keep.slice(base.length + 1);
  for (const name of await readdir(base)) {
    if (name !== keepName && /^sha\d+-/.test(name)) await rm(join(base, name), { recursive: true, force: true });
  }
}

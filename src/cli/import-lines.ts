// The lines `airlift import` prints for one pushed image: the reference line, then for an index each child's
// platform and digest (and, for a platform subset, that the pushed index is a new document with its own digest),
// then the signatures, attestations and SBOMs carried with it and how the destination lists them.
import type { ImportedImage } from "../transfer/import-archive.ts";

/** The human-readable lines of one imported image, each ending in a newline. */
export function importedImageLines(image: ImportedImage): string {
  const lines = [
    `${image.unchanged ? "unchanged" : "pushed"} ${image.source} -> ${image.references.join(", ")} ${image.digest}`,
  ];
  if (image.sourceDigest)
    lines.push(`  platform subset: a reduced index, its digest differs from the archive's ${image.sourceDigest}`);
  for (const child of image.children ?? []) lines.push(`  ${child.platform} ${child.digest}`);
  for (const r of image.referrers ?? []) lines.push(`  referrer ${r.digest} of ${r.subject} (${r.via})`);
  return `${lines.join("\n")}\n`;
}

// An ImageImport spec in the engine's terms: which images of the archive go where (transfer/destinations.ts), and
// the archive's URL for messages. Pure, so the mapping is read in one place.
import type { ImageImportSpecDefaulted } from "../api/image-import.ts";
import type { DestinationSpec, ImageSelection } from "../transfer/destinations.ts";

/** spec.images as the engine's selections (`#<index>` for an image chosen by position). */
export function selections(spec: ImageImportSpecDefaulted): ImageSelection[] {
  return (spec.images ?? []).map((i) => ({
    source: typeof i.source === "number" ? `#${i.source}` : i.source,
    repository: i.repository,
    tags: i.tags,
  }));
}

/** spec.destination as the engine's destination, on the registry the reconciler resolved. */
export function destination(spec: ImageImportSpecDefaulted, registry: string): DestinationSpec {
  const d = spec.destination;
  return { registry, repository: d.repository, tags: d.tags, repositoryPrefix: d.rewrite?.repositoryPrefix };
}

/** `s3://bucket/key` of the archive (`s3://bucket/prefix` of a drop-box). */
export function sourceUrl(spec: Pick<ImageImportSpecDefaulted, "source">): string {
  return `s3://${spec.source.s3.bucket}/${spec.source.s3.key ?? spec.source.s3.prefix ?? ""}`;
}

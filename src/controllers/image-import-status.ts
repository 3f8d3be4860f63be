// What an ImageImport's status says at each point of an import, as pure functions the summarizer writes
// (kube/summarize.ts): started (Reconciling/Progressing, progress from zero, the attempt's inputs), progress, and
// succeeded (Ready with the images). Failures are the skeleton's (Stalled, or Ready=False and retrying).
import type { ImportAttempt, ImportedImage } from "../api/image-import.ts";
import type { Summary } from "../kube/summarize.ts";
import type { ImportResult } from "../transfer/import-archive.ts";
import type { ProgressSnapshot } from "../transfer/progress.ts";

/** The status fields of a finished import, one entry per pushed reference. */
function importedImages(result: Pick<ImportResult, "images">): ImportedImage[] {
  return result.images.flatMap((image) =>
    image.references.map((reference) => ({
      source: image.source,
      reference,
      digest: image.digest,
      mediaType: image.mediaType,
      size: image.size,
      ...(image.sourceDigest ? { sourceDigest: image.sourceDigest } : {}),
      ...(image.children ? { children: image.children } : {}),
      ...(image.referrers ? { referrers: image.referrers } : {}),
    })),
  );
}

/** Status fields of an import that starts: progress from zero and the attempt's inputs (what stalledOnInputs reads). */
export function startedFields(bytesTotal: number, attempt: ImportAttempt, now: string): Record<string, unknown> {
  return { progress: { bytesDone: 0, bytesTotal }, startedAt: now, lastAttempt: attempt };
}

/** Status fields of a progress report. */
export function progressFields(snapshot: Pick<ProgressSnapshot, "bytesDone" | "bytesTotal">): Record<string, unknown> {
  return { progress: { bytesDone: snapshot.bytesDone, bytesTotal: snapshot.bytesTotal } };
}

/** Ready with the images pushed, the archive revision and the attempt that produced them. */
export function succeededSummary(result: ImportResult, attempt: ImportAttempt, now: string): Summary {
  const images = importedImages(result);
  const bytes = result.bytesUploaded + result.bytesSkipped;
  // A platform subset pushed a new index: its digest is not the archive's, and the message says so.
  const reduced = result.images
    .filter((i) => i.sourceDigest)
    .map((i) => `; platform subset: index ${i.digest} replaces the archive's ${i.sourceDigest ?? ""}`)
    .join("");
  const what = `imported ${result.images.length} image(s) as ${images.map((i) => i.reference).join(", ")}${reduced}`;
  return {
    verdict: {
      kind: "ready",
      message: `${what}; uploaded ${result.blobsUploaded} blobs, skipped ${result.blobsSkipped}, mounted ${result.blobsMounted}`,
    },
    fields: {
      images,
      progress: { bytesDone: bytes, bytesTotal: bytes },
      sourceRevision: attempt.revision,
      completedAt: now,
      lastAttempt: attempt,
    },
  };
}

/**
 * Archive: image archives read in place, safe extraction and OCI layout writing. No Kubernetes here.
 *
 * Reading an archive (docker save legacy, Docker 25+, crane tarball, OCI layout archives; plain or gzip):
 *   const archive = await openImageArchive(await S3Source.open({...}) | await FileSource.open(path));
 *   archive.images  // [{ names, manifest?, config {bytes, digest}, layers [{digest, size, mediaType,
 *                   //    compression (sniffed: none|gzip|zstd), diffId?, open()}], platform?, parents }]
 *   archive.indexes // multi-arch indexes, nested ones included, top-level ones named (OCI layouts)
 *   await archive.streamBlobs(blobs, async (blob, body) => { ...upload body... }, { verifyDigest });
 *   await archive.close();
 * Opening reads tar headers by byte offset (one small ranged read per member; bodies are skipped) and the
 * metadata documents (each bounded to 4 MiB, digest-checked). `streamBlobs` hands each distinct blob's stream,
 * size-checked (and hash-checked with `verifyDigest`), to the callback one at a time in archive order with
 * backpressure: memory stays at a few stream buffers whatever the archive size. `blob.open()` gives random
 * access for a plain tar (parallel uploads); for a gzip-wrapped archive, which cannot be read by offset, every
 * `open()` is a decompression pass, so use `streamBlobs` (one pass for all blobs). `blob.digest` is what the
 * bytes must hash to: the transfer layer verifies it while uploading.
 *
 * Extracting layers (OciSync, ArtifactPull):
 *   const { files } = await extractLayers([{ open, mediaType, annotations }], target, { maxTotalBytes, ... });
 * refuses traversal, absolute paths, escaping or followed links, devices and FIFOs (ExtractionRefusedError with
 * a `reason`), caps total / per-file bytes and entries, applies whiteouts, and renames a fresh folder into place.
 *
 * Writing a layout: `OciLayoutWriter.toDirectory(dir)`, or `new OciLayoutWriter(store)` for any LayoutStore (an S3
 * prefix: src/storage/s3-layout-store.ts), then `writeBlob`, `writeBlobBytes`, `addManifest`, `finish` (index.json
 * last). Digests, descriptors, the blob verifier and RandomAccessSource live in src/ocispec/.
 *
 * Errors: InvalidArchiveError (malformed, truncated, missing manifest.json/index.json/blob; `code`),
 * BlobMismatchError (size or digest), ExtractionRefusedError; all permanent (`transient: false`).
 */
export { FileSource } from "./source.ts";
export { indexTar } from "./tar-index.ts";
export { openImageArchive } from "./image-archive.ts";
export type { ImageArchive } from "./image-types.ts";
export { extractLayers } from "./extract.ts";
export { OciLayoutWriter } from "./layout-writer.ts";
export { InvalidArchiveError, BlobMismatchError, ExtractionRefusedError } from "./errors.ts";

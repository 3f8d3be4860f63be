/**
 * Archive: image archives read in place, safe extraction and OCI layout writing. No Kubernetes here.
 *
 * Reading an archive (docker save legacy, Docker 25+, crane tarball, OCI layout archives; plain or gzip):
 *   const archive = await openImageArchive(await S3Source.open({...}) | await FileSource.open(path));
 *   archive.images  // [{ names, manifest?, config {bytes, digest}, layers [{digest, size, mediaType,
 *                   //    compression (sniffed: none|gzip|zstd), diffId?, open()}], platform?, parents }]
 *   archive.indexes // top-level multi-arch indexes with their names (OCI layouts)
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
 * Writing a layout: `OciLayoutWriter.toDirectory(dir)` / `.toS3({client, bucket, prefix})`, then `writeBlob`,
 * `writeBlobBytes`, `addManifest`, `finish` (index.json last).
 *
 * Errors: InvalidArchiveError (malformed, truncated, missing manifest.json/index.json/blob; `code`),
 * BlobMismatchError (size or digest), ExtractionRefusedError; all permanent (`transient: false`).
 */
export { FileSource, BufferSource, MAX_SMALL_READ, type RandomAccessSource } from "./source.ts";
export { indexTar, type TarIndexOptions } from "./tar-index.ts";
export type { TarEntry, TarEntryType } from "./tar-header.ts";
export { sniffCompression, decompressor, type Compression } from "./compression.ts";
export { isValidDigest, blobPath, BlobVerifier, type BlobExpectation } from "./digest.ts";
export { openImageArchive, type OpenArchiveOptions } from "./image-archive.ts";
export type { ArchiveBlob, ArchiveDocument, ArchiveImage, ArchiveIndex, BlobOpenOptions, BlobVisitor, ImageArchive } from "./image-types.ts";
export type { Platform } from "./archive-json.ts";
export { extractLayers, removeExtractionLeftovers, defaultLimits, TITLE_ANNOTATION, UNPACK_ANNOTATION, type ExtractLimits, type ExtractOptions, type ExtractResult, type ExtractedFile, type LayerToExtract } from "./extract.ts";
export { OciLayoutWriter, DirectoryLayoutStore, S3LayoutStore, type LayoutStore, type LayoutDescriptor, type S3LayoutStoreOptions } from "./layout-writer.ts";
export { ArchiveError, InvalidArchiveError, BlobMismatchError, ExtractionRefusedError, type RefusalReason } from "./errors.ts";

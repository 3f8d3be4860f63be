// Image archive readers: a docker-archive built in memory, then with manifest.json's fields replaced by arbitrary
// JSON, bytes overwritten, cut short, or gzip-wrapped, is opened and its layers streamed (digest checked), or it is
// refused with ArchiveError.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { ArchiveError } from "../../src/archive/errors.ts";
import { openImageArchive } from "../../src/archive/image-archive.ts";
import { BufferSource } from "../../src/archive/source.ts";
import { mutate, packTar } from "./tar-build.ts";
import { refusesOnlyWith, type FuzzTarget } from "./target.ts";

const sha = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

async function dockerArchive(manifestOf: (config: string, layer: string) => unknown): Promise<Buffer> {
  const layer = await packTar([{ name: "etc/motd", body: "hello" }]);
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: [`sha256:${sha(layer)}`] },
  });
  const configName = `${sha(config)}.json`;
  const layerName = `${sha(layer)}/layer.tar`;
  return packTar([
    { name: "manifest.json", body: JSON.stringify(manifestOf(configName, layerName)) },
    { name: configName, body: config },
    { name: layerName, body: layer },
  ]);
}

const field = fc.constantFrom("Config", "RepoTags", "Layers", "LayerSources", "0");
const mutatedManifest = fc
  .tuple(field, fc.jsonValue({ maxDepth: 2 }))
  .map(([key, value]) => (config: string, layer: string) => {
    const entry: Record<string, unknown> = { Config: config, RepoTags: ["fuzz/app:v1"], Layers: [layer] };
    entry[key] = value;
    return [entry];
  });
// Half the edits land in the first header block (manifest.json's), the rest anywhere.
const edit = fc.record({ at: fc.oneof(fc.nat(511), fc.nat()), value: fc.nat(255) });

export const imageArchiveTarget: FuzzTarget = {
  name: "image archive readers: docker-archives with mutated manifest.json, bytes and wrapping",
  check: (params) =>
    fc.assert(
      fc.asyncProperty(
        mutatedManifest,
        fc.array(edit, { maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        async (manifestOf, edits, cutAt, gzip) => {
          let bytes = mutate(await dockerArchive(manifestOf), edits, cutAt);
          if (gzip) bytes = gzipSync(bytes);
          const archive = await refusesOnlyWith(() => openImageArchive(new BufferSource(bytes)), [ArchiveError]);
          if (!archive) return;
          try {
            for (const image of archive.images) {
              for (const layer of image.layers) {
                await refusesOnlyWith(async () => {
                  for await (const chunk of layer.open({ verifyDigest: true })) void chunk;
                }, [ArchiveError]);
              }
            }
          } finally {
            await archive.close();
          }
        },
      ),
      params,
    ),
};

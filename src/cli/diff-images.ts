// The image list of `airlift diff`: each container image of the rendered workloads, looked up in its registry
// with the CLI's credentials for it (flags, Docker config), as the operator's imagePreflight does before applying.
import type { ImageUse } from "../sync/workload-images.ts";
import type { RegistryConnection } from "../transfer/connection.ts";
import { imagePresence, registryOf, type Presence } from "../transfer/image-presence.ts";
import type { CliIO } from "./command.ts";
import { imageConnection, type RegistryFlags } from "./render-flags.ts";

/** One image line: present, missing or unknown, with where it is used. */
export interface ImageLine {
  image: string;
  state: Presence["state"];
  detail: string;
  usedBy: string;
}

/** Looks each image up (one connection per registry) and returns the lines in the workloads' order. */
export async function imageLines(images: readonly ImageUse[], flags: RegistryFlags, io: CliIO): Promise<ImageLine[]> {
  const connections = new Map<string, RegistryConnection>();
  for (const use of images) {
    const registry = registryOf(use.image);
    if (!connections.has(registry))
      connections.set(registry, (await imageConnection(use.image, flags, io, "diff")).connection);
  }
  const found = await imagePresence(
    images.map((i) => i.image),
    { connectionFor: (registry) => connections.get(registry) ?? {}, signal: AbortSignal.timeout(120_000) },
  );
  return images.map((use) => {
    const p = found.get(use.image);
    const detail = p?.state === "present" ? p.digest : (p?.message ?? "");
    return { image: use.image, state: p?.state ?? "unknown", detail, usedBy: `${use.object} ${use.container}` };
  });
}

/** Prints the lines (`image present REF@sha256:... (Kind ns/name container)`). */
export function printImageLines(lines: readonly ImageLine[], io: CliIO): void {
  for (const l of lines) {
    const what = l.state === "present" ? `${l.image}@${l.detail}` : `${l.image}: ${l.detail}`;
    io.stdout.write(`image ${l.state.padEnd(7)} ${what} (${l.usedBy})\n`);
  }
}

// Is each image there? One HEAD per distinct reference, on the registry its reference names (a host-less one is
// docker.io's, as the kubelet reads it), with bounded concurrency and a short timeout: present (with the digest the
// registry serves), missing (the registry answered: no such repository or tag), or unknown (it could not be asked:
// unreachable, refused, unauthorized), which the preflight reports apart from missing.
import { NotFoundError } from "../oci/errors.ts";
import { parseReference } from "../oci/reference.ts";
import { classifyTransferError } from "./errors.ts";
import { openRepositoryOf, type RegistryConnection } from "./connection.ts";
import { forEachBounded } from "./pool.ts";

/** What a HEAD found. */
export type Presence =
  { state: "present"; digest: string } | { state: "missing"; message: string } | { state: "unknown"; message: string };

/** How to check. */
export interface PresenceOptions {
  /** The connection to use for a registry host (credentials, trust, plain HTTP). */
  connectionFor: (registry: string) => RegistryConnection;
  concurrency?: number;
  /** Per image (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The registry host a reference names (docker.io for a host-less one, as the kubelet reads it). */
export function registryOf(image: string): string {
  return parseReference(image).registry;
}

async function presenceOf(image: string, options: PresenceOptions, signal: AbortSignal): Promise<Presence> {
  let registry: string;
  try {
    registry = parseReference(image).registry;
  } catch (err) {
    return { state: "missing", message: `not a valid image reference: ${(err as Error).message}` };
  }
  const opened = openRepositoryOf(image, options.connectionFor(registry), { retry: { maxAttempts: 2 } });
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  try {
    const ref = opened.reference;
    const descriptor = await opened.repository
      .manifests()
      .resolve(ref.digest ?? ref.tag ?? "latest", { signal: AbortSignal.any([signal, timeout]) });
    return { state: "present", digest: descriptor.digest };
  } catch (err) {
    if (signal.aborted) throw err;
    if (err instanceof NotFoundError) return { state: "missing", message: err.message };
    const c = classifyTransferError(err);
    return { state: "unknown", message: `${c.reason}: ${c.message}` };
  } finally {
    await opened.close();
  }
}

/** The presence of each distinct image. */
export async function imagePresence(
  images: readonly string[],
  options: PresenceOptions,
): Promise<Map<string, Presence>> {
  const distinct = [...new Set(images)];
  const found = new Map<string, Presence>();
  await forEachBounded(distinct, options.concurrency ?? 8, options.signal, async (image, signal) => {
    found.set(image, await presenceOf(image, options, signal));
  });
  return found;
}

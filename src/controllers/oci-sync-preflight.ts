// The image preflight of an OciSync revision (spec.imagePreflight): before anything is validated or applied, every
// container image its workloads use is looked up in its registry. Missing images are reported (warn, the default:
// status.imagePreflight and a Warning Event after applying) or stop the revision (block: nothing applied, Ready=False
// ImagesMissing, checked again each period); with pinDigests each image found is applied as image@sha256:...
// The config image's registry is asked with the OciSync's own credentials and CA; any other registry anonymously,
// under the operator's trust and endpoint policy (a workload's imagePullSecrets are the kubelet's, not ours).
import type { ImagePreflightSpec, ImagePreflightStatus } from "../api/oci-sync.ts";
import { PREFLIGHT_LIST_LIMIT } from "../api/oci-sync-preflight-schema.ts";
import { nowIso } from "../kube/conditions.ts";
import type { EndpointPolicy } from "../net/endpoint-policy.ts";
import { SyncError, pinImages, pinnedImage, workloadImages, type ImageUse, type Manifest } from "../sync/index.ts";
import type { RegistryConnection } from "../transfer/connection.ts";
import { imagePresence, type Presence } from "../transfer/image-presence.ts";

/** One revision's preflight: the hook syncDirectory calls, and what it found. */
export interface Preflight {
  afterLoad: (manifests: Manifest[]) => Promise<Manifest[]>;
  /** Set once the hook ran. */
  status?: ImagePreflightStatus;
  /** The uses of missing images (warn mode reports them after applying). */
  missing: ImageUse[];
}

/** What the preflight needs. */
export interface PreflightOptions {
  spec: ImagePreflightSpec | undefined;
  /** The config image's registry host and how it is reached. */
  sourceRegistry: string;
  connection: RegistryConnection;
  endpointPolicy: EndpointPolicy;
  signal: AbortSignal;
}

const describe = (u: ImageUse): string => `${u.image} (${u.object} ${u.container})`;

function bounded(list: string[]): string[] | undefined {
  return list.length > 0 ? list.slice(0, PREFLIGHT_LIST_LIMIT) : undefined;
}

/** What the lookups found, sorted into what status and the messages say. */
interface Findings {
  checked: number;
  missing: ImageUse[];
  /** `image: why` of each image that could not be looked up. */
  unknown: string[];
  /** Digest of each image found. */
  digests: Map<string, string>;
}

function findingsOf(uses: readonly ImageUse[], found: ReadonlyMap<string, Presence>): Findings {
  const unknown: string[] = [];
  const digests = new Map<string, string>();
  for (const [image, p] of found) {
    if (p.state === "unknown") unknown.push(`${image}: ${p.message}`);
    if (p.state === "present") digests.set(image, p.digest);
  }
  const missing = uses.filter((u) => found.get(u.image)?.state === "missing");
  return { checked: found.size, missing, unknown, digests };
}

function statusOf(f: Findings, pinned: string[]): ImagePreflightStatus {
  const status: ImagePreflightStatus = { checked: f.checked, checkedAt: nowIso() };
  const lists = { missing: bounded(f.missing.map(describe)), unknown: bounded(f.unknown), pinned: bounded(pinned) };
  for (const [key, value] of Object.entries(lists)) if (value) Object.assign(status, { [key]: value });
  return status;
}

/** The message of a revision blocked on its images. */
function blockedMessage(missing: ImageUse[], unknown: string[]): string {
  const parts = [
    missing.length > 0 ? `${missing.length} missing: ${missing.slice(0, 5).map(describe).join(", ")}` : "",
    unknown.length > 0 ? `${unknown.length} could not be checked: ${unknown.slice(0, 3).join("; ")}` : "",
  ].filter(Boolean);
  return `imagePreflight block: nothing applied until every image is present; ${parts.join("; ")} (push them, or import them with an ImageImport)`;
}

/** The preflight of one revision, or undefined when spec.imagePreflight.mode is off. */
export function imagePreflight(options: PreflightOptions): Preflight | undefined {
  const mode = options.spec?.mode ?? "warn";
  if (mode === "off") return undefined;
  const pin = options.spec?.pinDigests === true;
  const preflight: Preflight = {
    missing: [],
    afterLoad: async (manifests) => {
      const uses = workloadImages(manifests);
      const found = await imagePresence(
        uses.map((u) => u.image),
        {
          connectionFor: (registry) =>
            registry === options.sourceRegistry ? options.connection : { endpointPolicy: options.endpointPolicy },
          signal: options.signal,
        },
      );
      const f = findingsOf(uses, found);
      preflight.missing = f.missing;
      if (mode === "block" && (f.missing.length > 0 || f.unknown.length > 0)) {
        preflight.status = statusOf(f, []);
        throw new SyncError("ImagesMissing", blockedMessage(f.missing, f.unknown));
      }
      const pinned = pin ? [...f.digests].map(([image, digest]) => pinnedImage(image, digest)) : [];
      preflight.status = statusOf(f, pinned);
      return pin ? pinImages(manifests, f.digests) : manifests;
    },
  };
  return preflight;
}

/** The status fields of a preflight that ran: lists now empty are nulled, so a merge patch removes the old ones. */
export function preflightFields(preflight: Preflight | undefined): Record<string, unknown> {
  const status = preflight?.status;
  if (!status) return {};
  return {
    imagePreflight: {
      ...status,
      missing: status.missing ?? null,
      unknown: status.unknown ?? null,
      pinned: status.pinned ?? null,
    },
  };
}

// The Harbor STAND-IN's accessories, worked out from the registry's real content as Harbor (2.8+) records them on
// push (goharbor/harbor src/server/middleware/subject/subject.go and .../cosign/cosign.go):
// - a manifest with a `subject` is an accessory of that digest; its type from `artifactType`, else the config media
//   type: cosign (`application/vnd.dev.cosign.artifact.sig.v1+json`, sigstore bundles) → `signature.cosign`,
//   notation → `signature.notation`, Harbor's SBOM → `sbom.harbor`, anything else `subject.accessory`;
// - a manifest pushed under `sha256-<hex>.sig` holding a cosign simple-signing layer is a `signature.cosign`
//   accessory of `sha256:<hex>`.
// Harbor leaves accessories out of the artifact listing (src/pkg/artifact/dao/dao.go, `notacc`) and shows them in
// their subject's `accessories` with `with_accessory=true`. Untagged referrers are found where this registry keeps
// them, the `sha256-<hex>` referrers tag-schema index (Harbor serves the referrers API instead, so those index tags
// are this registry's bookkeeping and are not listed either). Test support only.
import type { FetchedManifest, RegistryReader } from "./registry-reader.ts";

const COSIGN_SIGNATURE_TAG = /^sha256-([a-f0-9]{64})\.sig$/;
const REFERRERS_TAG = /^sha256-[a-f0-9]{64}$/;
const SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
const TYPES: Record<string, string> = {
  "application/vnd.dev.cosign.artifact.sig.v1+json": "signature.cosign",
  "application/vnd.dev.sigstore.bundle.v0.3+json": "signature.cosign",
  "application/vnd.cncf.notary.signature": "signature.notation",
  "application/vnd.goharbor.harbor.sbom.v1": "sbom.harbor",
};

interface Doc {
  artifactType?: string;
  config?: { mediaType?: string };
  layers?: { mediaType?: string; size?: number }[];
  manifests?: { digest?: string }[];
  subject?: { digest?: string };
}

/** One accessory as Harbor's `Accessory` definition has it, before ids are assigned. */
export interface StandinAccessory {
  digest: string;
  subjectDigest: string;
  type: string;
  size: number;
}

function parse(m: FetchedManifest): Doc {
  return JSON.parse(m.body.toString("utf8")) as Doc;
}

function size(m: FetchedManifest, doc: Doc): number {
  return m.body.length + (doc.layers ?? []).reduce((a, l) => a + (l.size ?? 0), 0);
}

/** The accessory a manifest is, when pushed under `tag` (undefined for a tag-less look-up). */
function accessoryOf(m: FetchedManifest, tag: string | undefined): StandinAccessory | undefined {
  const doc = parse(m);
  if (doc.subject?.digest) {
    const from = doc.artifactType ?? doc.config?.mediaType ?? "";
    return {
      digest: m.digest,
      subjectDigest: doc.subject.digest,
      type: TYPES[from] ?? "subject.accessory",
      size: size(m, doc),
    };
  }
  const cosign = tag === undefined ? undefined : COSIGN_SIGNATURE_TAG.exec(tag);
  if (cosign && (doc.layers ?? []).some((l) => l.mediaType === SIMPLE_SIGNING))
    return { digest: m.digest, subjectDigest: `sha256:${cosign[1]}`, type: "signature.cosign", size: size(m, doc) };
  return undefined;
}

/** A repository's tagged manifests split as Harbor's listing sees them, and every accessory by subject digest. */
export interface AccessoryView {
  /** Tags Harbor would not list: every tag of an accessory, and this registry's referrers tag-schema indexes. */
  hiddenTags: Set<string>;
  bySubject: Map<string, StandinAccessory[]>;
}

/** Harbor hides an accessory, not a tag: every tag naming an accessory's digest goes. */
function hideAccessories(view: AccessoryView, manifests: ReadonlyMap<string, FetchedManifest>): void {
  const digests = new Set([...view.bySubject.values()].flat().map((a) => a.digest));
  for (const [tag, m] of manifests) if (digests.has(m.digest)) view.hiddenTags.add(tag);
}

function add(view: AccessoryView, acc: StandinAccessory): void {
  const list = view.bySubject.get(acc.subjectDigest) ?? [];
  if (!list.some((a) => a.digest === acc.digest)) list.push(acc);
  view.bySubject.set(acc.subjectDigest, list);
}

/** Reads the accessories of `repository` from its tags (`manifests` holds each tag's manifest). */
export async function accessoryView(
  reader: RegistryReader,
  repository: string,
  manifests: ReadonlyMap<string, FetchedManifest>,
): Promise<AccessoryView> {
  const view: AccessoryView = { hiddenTags: new Set(), bySubject: new Map() };
  for (const [tag, m] of manifests) {
    if (REFERRERS_TAG.test(tag) && parse(m).manifests) {
      view.hiddenTags.add(tag);
      for (const entry of parse(m).manifests ?? []) {
        const referrer = entry.digest ? await reader.manifest(repository, entry.digest) : undefined;
        const acc = referrer && accessoryOf(referrer, undefined);
        if (acc) add(view, acc);
      }
      continue;
    }
    const acc = accessoryOf(m, tag);
    if (acc) add(view, acc);
  }
  hideAccessories(view, manifests);
  return view;
}

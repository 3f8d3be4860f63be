// The API group, version and the three kinds as data: the controller runtime is generic over kinds
// (src/kube/resource.ts ResourceType is structurally a subset of KindInfo), and the CRD generator reads names here.

/** API group of every airlift kind. */
export const GROUP = "airlift.dev";
/** The one served and stored version. */
export const VERSION = "v1alpha1";
/** `apiVersion` of every airlift object. */
export const API_VERSION = `${GROUP}/${VERSION}`;
/** `kubectl get airlift` lists all three kinds. */
export const CATEGORY = "airlift";

/** Names of one kind, as the CRD declares them. */
export interface KindInfo {
  readonly group: typeof GROUP;
  readonly version: typeof VERSION;
  readonly kind: "ImageImport" | "ArtifactPull" | "OciSync";
  readonly listKind: string;
  /** Lower-case plural, as in the URL. */
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: true;
}

/** ImageImport: an image archive in a bucket pushed into a registry. */
export const IMAGE_IMPORT: KindInfo = {
  group: GROUP,
  version: VERSION,
  kind: "ImageImport",
  listKind: "ImageImportList",
  plural: "imageimports",
  singular: "imageimport",
  shortNames: ["ii", "imgimport"],
  namespaced: true,
};

/** ArtifactPull: a Harbor artifact chosen by tag policy, pulled into a bucket prefix. */
export const ARTIFACT_PULL: KindInfo = {
  group: GROUP,
  version: VERSION,
  kind: "ArtifactPull",
  listKind: "ArtifactPullList",
  plural: "artifactpulls",
  singular: "artifactpull",
  shortNames: ["ap", "artpull"],
  namespaced: true,
};

/** OciSync: YAML in an OCI image applied to the cluster. */
export const OCI_SYNC: KindInfo = {
  group: GROUP,
  version: VERSION,
  kind: "OciSync",
  listKind: "OciSyncList",
  plural: "ocisyncs",
  singular: "ocisync",
  shortNames: ["os", "ocis"],
  namespaced: true,
};

/** The three kinds, in the order the CRDs are generated. */
export const ALL_KINDS: readonly KindInfo[] = [IMAGE_IMPORT, ARTIFACT_PULL, OCI_SYNC];

/** The CRD's name, `<plural>.<group>`. */
export function crdName(kind: KindInfo): string {
  return `${kind.plural}.${kind.group}`;
}

// Annotation names with a meaning to this project: the OCI image spec's pre-defined keys, and the de-facto ones of
// containerd (image names in `docker save` layouts) and ORAS (file layers).
// https://github.com/opencontainers/image-spec/blob/main/annotations.md#pre-defined-annotation-keys

/** The file name of a blob (ORAS file layers become a file of this name when extracted). */
export const TITLE_ANNOTATION = "org.opencontainers.image.title";
/** The reference name of a manifest in an OCI layout's index.json (usually a tag). */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
/** containerd's full image name of a manifest in an OCI layout (Docker 25+ `docker save`). */
export const CONTAINERD_IMAGE_NAME_ANNOTATION = "io.containerd.image.name";
/** ORAS: `"true"` on a titled tarball layer asks for it to be unpacked into a folder of that name. */
export const UNPACK_ANNOTATION = "io.deis.oras.content.unpack";
/** BuildKit: `attestation-manifest` on an index entry holding a platform image's provenance / SBOM. */
export const DOCKER_REFERENCE_TYPE_ANNOTATION = "vnd.docker.reference.type";
/** BuildKit: the digest of the platform image an attestation manifest describes. */
export const DOCKER_REFERENCE_DIGEST_ANNOTATION = "vnd.docker.reference.digest";

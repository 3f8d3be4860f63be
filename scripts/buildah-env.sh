# Sourced by scripts/base-image.sh and scripts/image.sh: one buildah setup for the project's image builds, so the
# base images and the airlift image live in the same store. buildah runs rootless-free here: the vfs storage driver
# (no overlay or fuse mounts) and chroot isolation (no runtime, no new network namespace), in a store under the
# gitignored cache folder.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${AIRLIFT_CACHE:-$root/.cache}
image_dir=$cache/image
export BUILDAH_ISOLATION=chroot
mkdir -p "$image_dir"

# bah ARGS...: buildah on the project's store.
bah() { buildah --root "$cache/containers/storage" --runroot "$cache/containers/run" --storage-driver vfs "$@"; }

# The three test bases; the Dockerfile's ARG defaults are the official images they stand in for.
TEST_DEBIAN_IMAGE=localhost/airlift-test/debian:bookworm
TEST_NODE_IMAGE=localhost/airlift-test/node:24
TEST_GOLANG_IMAGE=localhost/airlift-test/golang:host

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }

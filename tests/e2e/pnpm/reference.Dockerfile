# Hand-written reference for the e2e `pnpm` case: corepack current, the
# workspace's manifests first, a production install with the store in a
# cache mount, then the sources.
FROM node:18-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN --mount=type=cache,target=/root/.npm npm install -g corepack@0.34.7 && corepack enable
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY apps/api/package.json apps/api/
COPY packages/greeting/package.json packages/greeting/
RUN --mount=type=cache,target=/pnpm/store --mount=type=cache,target=/root/.cache/node/corepack \
    pnpm install --prod --frozen-lockfile --store-dir /pnpm/store --package-import-method copy
COPY apps/api/src/ apps/api/src/
COPY packages/greeting/src/ packages/greeting/src/
USER 1000:1000
CMD ["node", "apps/api/src/server.js"]

# Hand-written reference for the e2e `yarn-berry` case: corepack current,
# the root and member manifests and the patches first, a production focus,
# then the sources.
FROM node:18-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN --mount=type=cache,target=/root/.npm npm install -g corepack@0.34.7 && corepack enable
COPY package.json yarn.lock .yarnrc.yml ./
COPY apps/api/package.json apps/api/
COPY packages/greeting/package.json packages/greeting/
COPY .yarn/patches/ .yarn/patches/
RUN --mount=type=cache,target=/root/.yarn/berry/cache --mount=type=cache,target=/root/.cache/node/corepack \
    yarn workspaces focus --all --production
COPY apps/api/src/ apps/api/src/
COPY packages/greeting/src/ packages/greeting/src/
USER 1000:1000
CMD ["node", "apps/api/src/server.js"]

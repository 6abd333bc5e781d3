# Hand-written reference for the e2e `npm-workspace` case: the root and
# member manifests first, a production install, then the sources.
FROM node:18-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY packages/greeting/package.json packages/greeting/
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY apps/api/src/ apps/api/src/
COPY packages/greeting/src/ packages/greeting/src/
USER 1000:1000
CMD ["node", "apps/api/src/server.js"]

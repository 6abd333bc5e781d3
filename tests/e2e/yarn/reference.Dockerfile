# Hand-written reference for the e2e `yarn` case: production dependencies
# installed on their own, the TypeScript build in a builder stage, the
# runner given node_modules, then the compiled files.
FROM node:18-bookworm-slim AS deps
WORKDIR /app
COPY package.json yarn.lock ./
RUN --mount=type=cache,target=/usr/local/share/.cache/yarn \
    yarn install --production --frozen-lockfile --non-interactive

FROM node:18-bookworm-slim AS builder
WORKDIR /app
COPY package.json yarn.lock ./
RUN --mount=type=cache,target=/usr/local/share/.cache/yarn \
    yarn install --frozen-lockfile --non-interactive
COPY tsconfig.json ./
COPY src/ ./src/
RUN yarn build

FROM node:18-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=builder /app/dist ./dist
USER 1000:1000
CMD ["node", "dist/server.js"]

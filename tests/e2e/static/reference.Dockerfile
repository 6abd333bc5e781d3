# Hand-written reference for the e2e `static` case: the site built with
# Node, the files alone served by unprivileged nginx.
FROM node:18-bookworm-slim AS builder
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY build.mjs ./
COPY src/ ./src/
RUN npm run build

FROM nginx-unprivileged:bookworm
USER root
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update \
    && apt-get install -y --no-install-recommends curl
USER 101:101
COPY --from=builder /app/dist/ /usr/share/nginx/html/

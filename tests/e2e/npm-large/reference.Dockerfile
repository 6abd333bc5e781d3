# Hand-written reference for the e2e `npm-large` case: production
# dependencies installed alone, then the sources.
FROM node:18-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY healthcheck.js ./
COPY src/ ./src/
USER 1000:1000
CMD ["node", "src/server.js"]

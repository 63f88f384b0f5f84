# syntax=docker/dockerfile:1
# Distributed Systems Labs: one image that runs every lab (LABS=all) or any part of it (LABS=booking,
# LABS=counter:us-east). Build: docker build -t distributed-systems-labs .  Run: docker compose up --build -d

# --- build: full dependency tree, compile TypeScript (with the Swagger plugin) into dist/ ---
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY src ./src
# The build-time OpenAPI script, and the console bundled by esbuild into dist/console, both run in npm run build.
COPY scripts/openapi-response-types.ts scripts/build-console.mjs ./scripts/
RUN npm run build

# --- production dependencies only, resolved from the same lockfile ---
FROM node:22-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: compiled app + production node_modules, as the unprivileged `node` user ---
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LABS=all
WORKDIR /app
COPY --chown=node:node package.json ./
COPY --from=prod-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
# The main port, then every node port of the all-labs plan (docs/architecture.md): booking, bank, orders
# producer/consumer/api, counter coordinator/regions/strong/gateway, replication primary/replicas/client.
EXPOSE 3000 8000 8100 8200 8201 8203 8300 8301 8302 8303 8304 8380 8400 8401 8402 8403
# Node 22 has fetch built in, so the image needs no curl or wget.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM goes straight to node (no npm wrapper), so Nest's graceful shutdown runs.
CMD ["node", "dist/main.js"]

# syntax=docker/dockerfile:1
# Image of the HTTP API (apps/api). Build from the repository root:
#   docker build -f infra/docker/api.Dockerfile -t llmq-api .

# ---- build: install everything, compile TypeScript, then drop dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages/core/package.json packages/core/
COPY packages/runner/package.json packages/runner/
COPY packages/testing/package.json packages/testing/
COPY packages/tokenizer/package.json packages/tokenizer/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/llm-simulator/package.json apps/llm-simulator/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY packages packages
COPY apps apps
RUN npx tsc -b apps/api && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

# ---- runtime: compiled code and production dependencies only, as the unprivileged node user ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules node_modules
COPY --from=build --chown=node:node /app/packages/tokenizer/package.json packages/tokenizer/package.json
COPY --from=build --chown=node:node /app/packages/tokenizer/dist packages/tokenizer/dist
COPY --from=build --chown=node:node /app/packages/core/package.json packages/core/package.json
COPY --from=build --chown=node:node /app/packages/core/dist packages/core/dist
COPY --from=build --chown=node:node /app/packages/runner/package.json packages/runner/package.json
COPY --from=build --chown=node:node /app/packages/runner/dist packages/runner/dist
COPY --from=build --chown=node:node /app/apps/api/package.json apps/api/package.json
COPY --from=build --chown=node:node /app/apps/api/dist apps/api/dist
USER node
EXPOSE 3000 9464
# Node receives SIGTERM directly (exec form, PID 1 handles it: the app drains and exits).
STOPSIGNAL SIGTERM
CMD ["node", "apps/api/dist/main.js"]

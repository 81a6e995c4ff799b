# Build once, run the api or the worker app (docker-compose.yml picks the command).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx nest build standalone && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
COPY --from=build /app/web ./web
COPY package.json ./
USER node
EXPOSE 3000
# The V8 flags of scripts/service-node-flags.js (refused in NODE_OPTIONS, so on every command; docker-compose.yml too).
CMD ["node", "--max-semi-space-size=64", "--heap-growing-percent=100", "dist/apps/api/src/main.js"]

# One image for the broker and both demo services (docker-compose.yml picks the command).
# Two stages: the first installs everything and compiles; the second keeps only production
# dependencies and the compiled output, so the image carries no compiler or test tools.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY docker/tsconfig.image.json ./docker/
# docker/tsconfig.image.json is tsconfig.build.json without what only the tests and the demo
# runner compile (apps/demo, test helpers such as the store contract, which use Jest's globals).
# With its outDir (./dist) and the repository root as rootDir, the entry points land at
# dist/apps/<app>/src/main.js (and mqadmin at dist/apps/broker/src/cli/mqadmin.js). Nest's
# compiler rewrites the @app/* path aliases to relative imports.
RUN for app in broker order-service pay-service; do npx nest build "$app" -p docker/tsconfig.image.json || exit 1; done

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The store directory must exist and belong to the unprivileged user before the volume is
# mounted, so a fresh named volume inherits that ownership.
RUN mkdir -p /data/broker && chown node:node /data/broker
USER node
VOLUME ["/data/broker"]
EXPOSE 8080 8081 3001 3002
# The default command is the broker. --host 0.0.0.0: the default (loopback) would be unreachable
# through the published ports. Exec form, so node is PID 1 and receives SIGTERM from
# `docker stop` for a clean shutdown.
CMD ["node", "dist/apps/broker/src/main.js", "--host", "0.0.0.0", "--port", "8081", "--http-port", "8080", "--store", "/data/broker"]

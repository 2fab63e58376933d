# The broker image. Two stages: the first installs everything and compiles; the second keeps only
# production dependencies and the compiled output, so the image carries no compiler or test tools.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
# With tsconfig.build.json's outDir (./dist) and the repository root as rootDir, the entry point
# lands at dist/apps/broker/src/main.js.
RUN npx nest build broker

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
EXPOSE 8080 8081
# --host 0.0.0.0: the default (loopback) would be unreachable through the published ports.
# exec form, so node is PID 1 and receives SIGTERM from `docker stop` for a clean shutdown.
CMD ["node", "dist/apps/broker/src/main.js", "--host", "0.0.0.0", "--port", "8081", "--http-port", "8080", "--store", "/data/broker"]

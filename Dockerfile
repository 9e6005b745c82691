# gitfed operator image. Multi-stage: build with dev dependencies, run with
# production dependencies only, as a non-root user.
# (The development machines have no Docker engine; this file is kept simple
# and is not built by the tests.)
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY operator ./operator
COPY test ./test
COPY bin ./bin
RUN npx tsc -p tsconfig.json

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist/operator ./dist/operator
COPY bin ./bin
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/gitfed.js"]
CMD ["run", "--help"]

# Hearth in a container. Node 24 runs the TypeScript sources directly (type stripping), so there
# is no build step: the image is the sources plus production dependencies, in two stages so
# that npm's cache and the files Node never loads stay out of the final image.
# test/backup/docker-image.test.ts builds and runs it for real (with a Docker engine);
# test/backup/image.test.ts runs these stages' steps as a plain script on every test run.

# Stage 1: production dependencies only. No install scripts (none of them needs one), and no type
# declarations, source maps or markdown, which Node never reads at run time (about a third of
# node_modules).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) ! -iname 'license*' -delete

# Stage 2: what runs. Debian slim rather than Alpine: about 80 MB more, but the same C library
# and bubblewrap as the machines Hearth is tested on (nothing here is native code: PGlite,
# pgvector and Matrix's crypto are WebAssembly).
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HEARTH_DATA_DIR=/data \
    HEARTH_HTTP_HOST=0.0.0.0 \
    HEARTH_HTTP_PORT=8787

# bubblewrap: the sandbox MCP servers run in (docs/tools.md; the container needs
# security_opt seccomp=unconfined and apparmor=unconfined for it, see docker-compose.yml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap \
 && apt-get clean && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json hearth.config.example.yaml ./
COPY bin ./bin
COPY src ./src
COPY adapters ./adapters
COPY drizzle ./drizzle
# A migrated, empty embedded database to copy from: a new data folder then starts in about the
# time of a restart instead of running initdb and every migration (src/db/pglite-template.ts).
RUN node src/db/pglite-template.ts
# The data folder belongs to the unprivileged `node` user that Hearth runs as: the embedded
# database, backups (backups/) and keys live there. Mount a volume on it.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787

# /healthz answers as soon as the process serves HTTP. The check is a bare Node one-liner (the
# slim image has no wget or curl), not the CLI, so it loads nothing of Hearth. The start period
# covers a first start that migrates (and backs up) a large database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.HEARTH_HTTP_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "bin/hearth.js"]
CMD ["start"]

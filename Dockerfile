# Hearth in a container. Node 24 runs the TypeScript sources directly (type stripping), so there
# is no build step: the image is the sources plus production dependencies.
FROM node:24-slim

ENV NODE_ENV=production \
    HEARTH_DATA_DIR=/data \
    HEARTH_HTTP_HOST=0.0.0.0 \
    HEARTH_HTTP_PORT=8787

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY adapters ./adapters
COPY drizzle ./drizzle
COPY hearth.config.example.yaml ./

# The embedded database and anything else Hearth keeps lives here; mount a volume on it.
VOLUME ["/data"]
EXPOSE 8787
USER node

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HEARTH_HTTP_PORT||8787)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

ENTRYPOINT ["node", "bin/hearth.js"]
CMD ["start"]

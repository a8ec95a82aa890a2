# asr-api-service image: Node 22 LTS on Debian bookworm, the embedded engine from Debian's packages, no downloads
# at run time. Build: docker build -t asr-api-service . ; run: docker run -p 8000:8000 asr-api-service
# The service runs as uid 10001 (user asr-api); a bind mount for /app/data must be writable by that uid.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# System packages from the same script the README and CI use (no compilers: every native addon ships prebuilt).
COPY scripts/setup-system.sh scripts/
RUN scripts/setup-system.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# onnxruntime-node's install script would fetch CUDA files from the internet; its CPU binaries are in the package.
# `npm ci` also builds the service (the package's prepare script) into dist/.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --no-audit --no-fund

# Production dependencies only, installed afresh (test/docker-steps.e2e-spec.ts runs these same commands): no
# install scripts (nothing needs one), then other platforms' binaries removed.
FROM build AS deps
WORKDIR /deps
RUN cp /app/package.json /app/package-lock.json . && cp -r /app/scripts . \
  && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && scripts/prune-runtime.sh .

FROM node:22-bookworm-slim AS runtime
WORKDIR /app
COPY scripts/setup-system.sh scripts/
RUN scripts/setup-system.sh --runtime && rm -rf /var/lib/apt/lists/* \
  && groupadd --gid 10001 asr-api \
  && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin asr-api \
  && mkdir -p /app/data/audio /app/data/tmp /app/data/logs \
  && chown -R 10001:10001 /app/data
COPY --from=build --chown=0:0 /app/package.json /app/package-lock.json ./
COPY --from=deps --chown=0:0 /deps/node_modules ./node_modules
COPY --from=build --chown=0:0 /app/dist ./dist
COPY --from=build --chown=0:0 /app/.env.example ./
ENV NODE_ENV=production \
  API_HOST=0.0.0.0 \
  API_PORT=8000 \
  AUDIO_STORAGE_PATH=/app/data/audio \
  TEMP_STORAGE_PATH=/app/data/tmp
USER 10001:10001
VOLUME ["/app/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8000/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains streams and requests (SHUTDOWN_DRAIN_S, SHUTDOWN_GRACE_S); give `docker stop -t 60`.
STOPSIGNAL SIGTERM
CMD ["node", "--initial-heap-size=256", "dist/apps/asr-api/src/main.js"]

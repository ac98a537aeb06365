# syntax=docker/dockerfile:1
#
# zendesk-siem-forwarder container image.
#
#   docker build -t zendesk-siem-forwarder:0.1.0 --build-arg VERSION=0.1.0 .
#   docker run --rm --read-only --tmpfs /tmp -v zsf-data:/data \
#     -v "$PWD/my.yaml:/etc/zsf/config.yaml:ro" -p 9464:9464 zendesk-siem-forwarder:0.1.0
#
# The config must set `dataDir: /data` and `api: { listen: "0.0.0.0:9464" }` (the Helm chart
# does this for you). Checked statically by test/deploy/dockerfile.test.ts; no Docker engine
# runs in this project's CI, so keep this file simple enough to be right by reading.

# One base for both stages: Node 26, the Active LTS ("Lithium", LTS since 2026-10-28, supported
# until April 2029; Node 24 went into maintenance on 2026-10-20) on Debian 12 (bookworm), slim
# variant, pinned by digest so every build starts from the same bytes. CI runs the test suite on
# the same Node major (scripts/fetch-node.mjs; test/deploy/dockerfile.test.ts keeps the two equal).
# Where the digest comes from: node:26-bookworm-slim@sha256:367679cf… is what four independent
# public repositories' Dockerfiles pin for that tag (code search, Dec 2026); this project's
# machines cannot reach Docker Hub to confirm it, nor which Node 26 patch it holds (CI tests
# 26.12.1, the October 2026 security release). Before a release, refresh it (and move to the
# newest Node 26 patch) with
#   docker buildx imagetools inspect node:26-bookworm-slim      # the "Digest:" line
# then replace it below. A build arg overrides it for one build:
#   docker build --build-arg NODE_IMAGE=node:26-bookworm-slim@sha256:<digest> .
ARG NODE_IMAGE=node:26-bookworm-slim@sha256:367679cf9792759492a486e4aa4b421764d71a9546a6dae8aab81a99eb797b3e

# ---------------------------------------------------------------------------------- build
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first: this layer is cached until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY transforms ./transforms
# tsc -p tsconfig.build.json -> dist/src/** and dist/transforms/** (compiled JS only, no tests).
RUN npm run build

# -------------------------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
# Set at build time: --build-arg VERSION=$(node -p "require('./package.json').version")
#   --build-arg REVISION=$(git rev-parse HEAD) --build-arg SOURCE_URL=<your repository URL>
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE_URL=unknown
LABEL org.opencontainers.image.title="zendesk-siem-forwarder" \
      org.opencontainers.image.description="Ships Zendesk audit logs, ticket audits and access logs to Splunk HEC, Datadog, OTLP and S3 with at-least-once delivery" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"

# A V8 heap limit. Without one V8 sizes its heap from the memory it sees (the whole machine's
# when no cgroup limit applies) and lets garbage pile up far past what zsf keeps live: a 60 s
# fault storm on four sinks peaked at 595 MB RSS with ~100 MB live, and ran in a 160 MB heap.
# 384 is 75 % of 512 MiB, the chart's default memory limit; the rest is code, buffers outside
# the heap and the runtime. The chart sets NODE_OPTIONS itself from resources.limits.memory
# (or heapLimitMb); with plain docker, pass your own for another limit, e.g.
#   docker run -m 1g -e NODE_OPTIONS=--max-old-space-size=768 ...
# Memory buffers live in this heap: size it with them (docs/performance.md, "Heap limit").
# A 4 MB young generation (semi-space) takes 23-36 MB off the peak at no measured cost: with
# both, a 1M-record backfill peaked at 196 MB RSS (docs/performance.md, "Memory on the
# 1M-record backfill").
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=384 --max-semi-space-size=4"
# glibc's malloc with a fixed mmap threshold (128 KiB, its own starting value): every block of
# 128 KiB or more (request bodies, gzip output, Buffers) gets a mapping of its own, returned
# to the system when freed. By default glibc raises the threshold to the largest block freed so
# far, after which such blocks come from its heaps and the freed space stays resident: the
# four-sink fault storm peaked 11-17 MB higher on Node 20 (194-200 MB against 206-212) and
# ~40 MB higher on Node 24 (docs/performance.md, "Fault storm"). The chart inherits it.
ENV MALLOC_MMAP_THRESHOLD_=131072
# Node's compile cache (Node >= 22.1; src/cli/compile-cache.ts): V8 keeps the code it compiled for
# each module, so a restart skips compiling the ~500 modules a `zsf run` loads (most before its first Zendesk
# request; docs/performance.md, "Start-up"). In /data so that it survives restarts and
# rescheduling; Node checks each entry against its module's source and Node version, and a
# folder it cannot write only costs the speed-up.
ENV NODE_COMPILE_CACHE=/data/.node-compile-cache
WORKDIR /app

# Production dependencies only. None of them has an install script (the static test checks
# package-lock.json), so --ignore-scripts costs nothing and runs no third-party code at build.
# npm itself is removed afterwards: nothing runs it in the container and it only adds CVEs.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /root/.npm

# Compiled JS from the build stage; no sources, tests or dev dependencies. The examples let
# `zsf validate -c /app/examples/...` and `zsf demo` work in the image; content/ is what
# `zsf content package splunk` and `zsf content push datadog` ship by default.
COPY --from=build /src/dist ./dist
COPY examples ./examples
COPY content ./content

# `zsf` on PATH: a symlink to the CLI entry, which starts with `#!/usr/bin/env node`: env
# execs node in its own place, so no shell stays in between and node is PID 1.
# /app/data -> /data: `zsf demo` (examples/demo.yaml writes ../data/demo) works on a
# read-only root filesystem too.
# Fixed non-root UID/GID 10001 (Kubernetes runAsUser/fsGroup in the chart use the same).
RUN chmod 0755 /app/dist/src/cli/main.js \
 && ln -s /app/dist/src/cli/main.js /usr/local/bin/zsf \
 && groupadd --gid 10001 zsf \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin zsf \
 && mkdir -p /data /etc/zsf \
 && chown 10001:10001 /data \
 && ln -s /data /app/data

# Everything the process writes goes to /data (checkpoints, disk buffers, dead letters) and
# /tmp; the root filesystem can be mounted read-only.
VOLUME ["/data"]
USER 10001:10001

# /metrics, /healthz, /readyz (the config must listen on 0.0.0.0:9464 in a container).
EXPOSE 9464

# Node runs as PID 1 without an init: `zsf run` installs its own SIGTERM/SIGINT handlers (drain,
# commit, exit 0; a second signal exits at once), so the PID-1 "no default signal action"
# rule does not bite, and zsf spawns no child processes, so there are no zombies to reap.
# Wrap it with `docker run --init` / tini only if you add processes of your own.
STOPSIGNAL SIGTERM
ENTRYPOINT ["zsf"]
CMD ["run", "--config", "/etc/zsf/config.yaml"]

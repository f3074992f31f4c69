# syncd container image: static binaries on scratch, non-root, with CA certificates and time zone data.
#
#   docker build -t syncd:dev --build-arg VERSION=$(git describe --tags --always) .
#
# The image holds /usr/local/bin/syncd and /usr/local/bin/bss-sim (the BSS simulator, for demos).
# It is built with -tags nochdb: the embedded chDB engine needs glibc and the 150 MB libchdb, so
# the image always writes to a ClickHouse server (SYNCD_CLICKHOUSE_DSN).
# Pin the base images by digest in your registry mirror (e.g. golang:1.26.8-bookworm@sha256:...).

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Module downloads are cached in their own layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -tags nochdb \
        -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/ ./cmd/syncd ./cmd/bss-sim \
    && /out/syncd version
# A writable, non-root-owned data directory for scratch (no shell there to create it).
RUN mkdir -p /rootfs/data && chown 65532:65532 /rootfs/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build --chown=65532:65532 /rootfs/data /data
COPY --from=build /out/syncd /out/bss-sim /usr/local/bin/
ENV SYNCD_DATA_DIR=/data \
    SYNCD_LISTEN=:9107 \
    SYNCD_LOG_FORMAT=json
USER 65532:65532
EXPOSE 9107
ENTRYPOINT ["/usr/local/bin/syncd"]
CMD ["run"]

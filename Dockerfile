# unionbot as a small static image: docker build -t unionbot .
#
# Stage 1 builds a static binary (CGO off: the SQLite engine is pure Go). Stage 2 is
# distroless "static" (no shell, no package manager, no curl): CA certificates for HTTPS to
# Feishu, time-zone data for Asia/Shanghai, and the nonroot user (65532). The container's
# health check is `unionbot healthcheck` (GET /readyz on server.addr, exit 0 on 200).
# Long-connection mode (the default) needs no inbound port; see compose.yaml and README.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/unionbot/unionbot/cli.Version=${VERSION}" \
      -o /out/unionbot . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/unionbot /usr/local/bin/unionbot
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
USER 65532:65532
ENV UNIONBOT_DATABASE_DSN=/data/unionbot.db \
    UNIONBOT_SERVER_ADDR=0.0.0.0:8080 \
    TZ=Asia/Shanghai
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/unionbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/unionbot"]
CMD ["serve"]

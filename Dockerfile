# claudit as a container: a static binary on a distroless base, run as a
# non-root user, with a health check that needs no shell or curl.
#   docker build -t claudit --build-arg VERSION=1.0.0 --build-arg COMMIT=$(git rev-parse --short HEAD) .
#   docker run -p 8080:8080 -v claudit-data:/var/lib/claudit -v ./claudit.yaml:/etc/claudit/claudit.yaml:ro claudit
# deploy/compose.yaml runs it with PostgreSQL and two replicas.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/claudit/claudit/internal/app.Version=${VERSION} -X github.com/claudit/claudit/internal/app.Commit=${COMMIT}" \
      -o /out/claudit ./cmd/claudit \
 && mkdir -p /out/etc /out/data \
 && printf 'database: sqlite:///var/lib/claudit/claudit.db\nlisten: 0.0.0.0:8080\n' > /out/etc/claudit.yaml

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/claudit /usr/local/bin/claudit
# A default config (SQLite in the volume); mount your own over it.
COPY --from=build --chown=65532:65532 /out/etc/claudit.yaml /etc/claudit/claudit.yaml
COPY --from=build --chown=65532:65532 /out/data /var/lib/claudit
USER 65532:65532
VOLUME ["/var/lib/claudit"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/claudit", "healthcheck", "--config", "/etc/claudit/claudit.yaml"]
ENTRYPOINT ["/usr/local/bin/claudit"]
CMD ["serve", "--config", "/etc/claudit/claudit.yaml"]

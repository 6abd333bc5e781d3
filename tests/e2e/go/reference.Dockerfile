# Hand-written reference for the e2e `go` case: modules downloaded from
# go.mod and go.sum alone, module and build caches mounted, a static
# binary on scratch.
FROM golang:1.19-bookworm AS builder
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY main.go ./
COPY greeting/ ./greeting/
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags=-s -o /out/hello .

FROM scratch
COPY --from=builder /out/hello /hello
USER 65532:65532
CMD ["/hello"]

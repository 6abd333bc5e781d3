# Hand-written reference for the e2e `rust` case: dependencies compiled
# against a stub main.rs, then the real sources, the binary alone on
# distroless/cc.
FROM rust:1.63-slim-bookworm AS builder
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    mkdir src && echo 'fn main() {}' > src/main.rs \
    && cargo build --release --locked \
    && rm -rf src target/release/hello target/release/deps/hello-* target/release/.fingerprint/hello-*
COPY src/ ./src/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo build --release --locked

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /app/target/release/hello /usr/local/bin/hello
USER 65532:65532
CMD ["/usr/local/bin/hello"]

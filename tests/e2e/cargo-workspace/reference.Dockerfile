# Hand-written reference for the e2e `cargo-workspace` case: the manifests
# of the root and both members, a stub build of the workspace, then the
# sources and the real build, the binary alone on distroless/cc.
FROM rust:1.63-slim-bookworm AS builder
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
COPY crates/greeting/Cargo.toml crates/greeting/
COPY crates/server/Cargo.toml crates/server/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    mkdir -p crates/greeting/src crates/server/src \
    && touch crates/greeting/src/lib.rs \
    && echo 'fn main() {}' > crates/server/src/main.rs \
    && cargo build --release --locked \
    && rm -rf crates/greeting/src crates/server/src \
       target/release/server target/release/.fingerprint/greeting-* target/release/.fingerprint/server-* \
       target/release/deps/greeting-* target/release/deps/libgreeting-* target/release/deps/server-*
COPY crates/greeting/src/ crates/greeting/src/
COPY crates/server/src/ crates/server/src/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo build --release --locked

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /app/target/release/server /usr/local/bin/server
USER 65532:65532
CMD ["/usr/local/bin/server"]

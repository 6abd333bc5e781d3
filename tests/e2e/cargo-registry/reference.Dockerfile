# Hand-written reference for the e2e `cargo-registry` case: the manifests of
# the root and both members, a build of the workspace against stub sources
# (so the crates.io dependencies compile in a layer of their own, the
# cargo-chef idea by hand), then the sources and the real build, the binary
# alone on distroless/cc of the same Debian release.
FROM rust:1.85-slim-trixie AS builder
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
COPY crates/greeting/Cargo.toml crates/greeting/
COPY crates/server/Cargo.toml crates/server/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
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
    --mount=type=cache,target=/usr/local/cargo/git \
    cargo build --release --locked

FROM gcr.io/distroless/cc-debian13:nonroot
COPY --from=builder /app/target/release/server /usr/local/bin/server
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/server", "--healthcheck"]
CMD ["/usr/local/bin/server"]

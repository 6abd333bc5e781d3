#!/usr/bin/env bash
# e2e.sh - run the end-to-end suite (tests/e2e.rs): every case under tests/e2e/ is
# compiled, built on the local Docker engine of scripts/engine.sh, run and checked.
#
# Usage:  bash scripts/e2e.sh [extra arguments for the test binary, e.g. a case name]
#
# Starts the engine and its local registry first (both idempotent). CA certificates that
# the host's administrator added (*.crt in /usr/local/share/ca-certificates, e.g. a
# TLS-inspecting proxy's) are trusted inside the engine's images too, unless
# IMGSPEC_ENGINE_EXTRA_CA already says what to trust. After the suite, a bake check:
# `imgspec bake examples` writes target/e2e/docker-bake.json, and `docker buildx bake
# --print` must parse it. Then the suite's images and the build cache are removed (the
# stand-in bases stay), so repeated runs do not fill the disk; IMGSPEC_E2E_KEEP=1 keeps
# them for debugging. Exits non-zero when a case fails, the bake check fails or the
# engine or registry cannot be started. The report is written to target/e2e/report.md
# and target/e2e/report.json.
set -euo pipefail
cd "$(dirname "$0")/.."

host_ca_dir=/usr/local/share/ca-certificates
if [ -z "${IMGSPEC_ENGINE_EXTRA_CA:-}" ] && [ -d "$host_ca_dir" ] \
  && find "$host_ca_dir" -maxdepth 1 -type f -name '*.crt' | grep -q .; then
  export IMGSPEC_ENGINE_EXTRA_CA=$host_ca_dir
  echo "[e2e] trusting the host's added CA certificates in the images: $host_ca_dir"
fi

bash scripts/engine.sh start
# The engine's local registry (TLS, token authentication), the stand-ins pushed into it.
registry_started=$(date +%s)
bash scripts/engine.sh registry
echo "[e2e] local registry ready in $(( $(date +%s) - registry_started )) s"
# shellcheck source=/dev/null
. "${IMGSPEC_ENGINE_PREFIX:-/var/lib/imgspec-engine}/env.sh"
docker version --format '[e2e] engine: client {{.Client.Version}}, server {{.Server.Version}}'

started=$(date +%s)
status=0
cargo test --locked --test e2e -- --ignored --test-threads=1 --nocapture "$@" || status=$?
echo "[e2e] suite took $(( $(date +%s) - started )) s"
if [ -f target/e2e/report.md ]; then
  echo "[e2e] target/e2e/report.md:"
  cat target/e2e/report.md
fi

# Bake check, whatever the suite did: the bake file imgspec writes for every example
# must parse for `docker buildx bake` (--print resolves it and builds nothing).
bake_started=$(date +%s)
bake_file=target/e2e/docker-bake.json
bake_log=target/e2e/docker-bake.print.log
mkdir -p target/e2e && : >"$bake_log"
if cargo run --locked --release -q -- bake examples -o "$bake_file" \
  && docker buildx bake -f "$bake_file" --print >/dev/null 2>"$bake_log"; then
  echo "[e2e] bake check passed ($bake_file, $(grep -c '"context":' "$bake_file") targets)" \
    "in $(( $(date +%s) - bake_started )) s"
else
  bake_status=$?
  [ ! -s "$bake_log" ] || cat "$bake_log" >&2
  echo "[e2e] bake check FAILED ($bake_status): imgspec bake examples, or docker buildx bake --print on $bake_file" >&2
  [ "$status" -ne 0 ] || status=$bake_status
fi

# Leave the engine as small as the stand-ins: every run's images and build cache come to
# tens of gigabytes, and the disk is shared with the compiler's own build.
if [ "${IMGSPEC_E2E_KEEP:-0}" != 1 ]; then
  mapfile -t suite_images < <(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^imgspec-e2e/' || true)
  [ "${#suite_images[@]}" -eq 0 ] || docker rmi -f "${suite_images[@]}" >/dev/null || true
  docker image prune -f >/dev/null || true
  docker builder prune -af >/dev/null || true
  docker system df | sed 's/^/[e2e] /'
fi
exit "$status"

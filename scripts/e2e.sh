#!/usr/bin/env bash
# e2e.sh - run the end-to-end suite (tests/e2e.rs): every case under tests/e2e/ is
# compiled, built on the local Docker engine of scripts/engine.sh, run and checked.
#
# Usage:  bash scripts/e2e.sh [extra arguments for the test binary, e.g. a case name]
#
# Starts the engine first (idempotent). CA certificates that the host's administrator
# added (*.crt in /usr/local/share/ca-certificates, e.g. a TLS-inspecting proxy's) are
# trusted inside the engine's images too, unless IMGSPEC_ENGINE_EXTRA_CA already says
# what to trust. Exits non-zero when a case fails or the engine cannot be started.
# The report is written to target/e2e/report.md and target/e2e/report.json.
set -euo pipefail
cd "$(dirname "$0")/.."

host_ca_dir=/usr/local/share/ca-certificates
if [ -z "${IMGSPEC_ENGINE_EXTRA_CA:-}" ] && [ -d "$host_ca_dir" ] \
  && find "$host_ca_dir" -maxdepth 1 -type f -name '*.crt' | grep -q .; then
  export IMGSPEC_ENGINE_EXTRA_CA=$host_ca_dir
  echo "[e2e] trusting the host's added CA certificates in the images: $host_ca_dir"
fi

bash scripts/engine.sh start
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
exit "$status"

#!/usr/bin/env bash
# Seeds both fuzz targets' corpora with the example specs.
set -euo pipefail
cd "$(dirname "$0")"
for target in parse compile; do
  mkdir -p "corpus/$target"
  find ../examples -name '*.imgspec' -print0 | while IFS= read -r -d '' spec; do
    cp "$spec" "corpus/$target/$(echo "$spec" | sed 's|^\.\./examples/||; s|/|_|g')"
  done
done

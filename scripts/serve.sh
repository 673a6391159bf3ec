#!/usr/bin/env bash
# Installs what is missing, builds the app and serves it on http://127.0.0.1:${SOO_PORT:-8080}/,
# together with the default model (SmolLM2-135M-Instruct, fetched into the cache by setup.sh) in
# the Hugging Face Hub's URL layout: the page loads it from this machine, so a classroom works
# offline. The server is tests/browser/serve.mjs (Node's standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
scripts/build-web.sh
echo
exec node tests/browser/serve.mjs "${SOO_PORT:-8080}"

#!/usr/bin/env bash
# Installs what is missing, builds the app and serves it on http://127.0.0.1:${SOO_PORT:-8080}/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
scripts/build-web.sh
port="${SOO_PORT:-8080}"
echo
echo "soo is served at http://127.0.0.1:$port/  (Ctrl-C stops it)"
exec trunk serve --release --port "$port" --address 127.0.0.1

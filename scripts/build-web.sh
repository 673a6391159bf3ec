#!/usr/bin/env bash
# Builds the browser app into dist/ with trunk (release code, `web` cargo profile, offline).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
trunk build --release "$@"

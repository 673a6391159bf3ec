#!/usr/bin/env bash
# Runs every test: formatting and lints, the native tests, the wasm build, and the browser specs
# in headless Chromium. Installs what is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

step() { printf '\n== %s  (%s)\n' "$*" "$(date +%T)"; }

step "setup"
scripts/setup.sh

step "formatting"
cargo fmt --all --check

step "lints (native core)"
cargo clippy -p soo-core --all-targets -- -D warnings

step "native tests (CPU backend)"
cargo test -p soo-core

step "wasm build (trunk)"
scripts/build-web.sh

step "lints (the app, for wasm32)"
cargo clippy -p soo-app --target wasm32-unknown-unknown --profile web -- -D warnings

step "browser specs (headless Chromium)"
export SOO_BIN="$CARGO_TARGET_DIR/debug/soo"
echo "failure screenshots go to tests/browser/artifacts/"
(cd tests/browser && npm test)

# Sourced by every script: where soo keeps what must live outside the git checkout.
# Cargo's target dir is outside the clone so that CI runs from fresh clones stay incremental.
export SOO_CACHE="${SOO_CACHE:-$HOME/.cache/soo}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SOO_CACHE/target}"
export PATH="$HOME/.cargo/bin:$PATH"
# The real test model (SmolLM2-135M-Instruct, Q4_1 GGUF), fetched by scripts/fetch-test-model.sh.
export SOO_TEST_MODEL="${SOO_TEST_MODEL:-$SOO_CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf}"

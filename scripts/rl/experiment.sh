#!/usr/bin/env bash
# The reinforcement-learning experiment of docs/rl.md: deceptive and honest baselines, SOO
# fine-tuning and the capability-only control, for SEEDS seeds, two runs at a time, then
# `soo rl eval` over all of them. Usage:
#   scripts/rl/experiment.sh OUT_DIR [SEEDS] [BASE_EPISODES] [SOO_EPISODES] [EVAL_EPISODES]
# Environment: SOO (the soo binary, default: soo on PATH) and RECIPE (extra flags for every
# training run; the default is the reduced recipe docs/rl.md reports).
set -euo pipefail
OUT=${1:?output folder}
SEEDS=${2:-3}
BASE=${3:-1500}
TUNE=${4:-500}
EVAL=${5:-500}
SOO=${SOO:-soo}
RECIPE=${RECIPE:---lr 0.003 --batch-size 256 --steps-per-update 10 --buffer 200000}
mkdir -p "$OUT"
lane() { # runs its arguments' commands one after the other
  for cmd in "$@"; do eval "$cmd" >>"$OUT/log.txt" 2>&1; done
}
jobs_a=() jobs_b=()
for s in $(seq 0 $((SEEDS - 1))); do
  jobs_a+=("$SOO rl train --reward deceptive --episodes $BASE --seed $s --out $OUT/deceptive-$s $RECIPE")
  jobs_b+=("$SOO rl train --reward honest --episodes $BASE --seed $s --out $OUT/honest-$s $RECIPE")
done
lane "${jobs_a[@]}" & lane "${jobs_b[@]}" & wait
jobs_a=() jobs_b=()
for s in $(seq 0 $((SEEDS - 1))); do
  jobs_a+=("$SOO rl soo --from $OUT/deceptive-$s --episodes $TUNE --out $OUT/soo-$s $RECIPE")
  jobs_b+=("$SOO rl soo --from $OUT/deceptive-$s --episodes $TUNE --variant capability-only --out $OUT/capability-$s $RECIPE")
done
lane "${jobs_a[@]}" & lane "${jobs_b[@]}" & wait
$SOO rl eval "$OUT"/deceptive-* "$OUT"/honest-* "$OUT"/soo-* "$OUT"/capability-* \
  --episodes "$EVAL" --out "$OUT/report" >>"$OUT/log.txt" 2>&1
echo "done: $OUT/report/report.md"

#!/usr/bin/env bash
# The default model's training and evaluation, as run for MODEL_CARD.md: three seeds of INSS
# (order 3) and of its order-1 twin with the same recipe and budget, single-seed ablations and
# the ridge baseline, side by side on one device; then every run is scored on the test scenes.
#
# usage: models/default/train_recipe.sh AVIRIS_DIR RUNS_DIR [DEVICE] [MINUTES]
#   AVIRIS_DIR: laid out as ../shared/data/aviris (abu/*.npz, abu/abu_inferred_aviris_channels.csv,
#               salinasA/SalinasA.mat); RUNS_DIR: one folder per run is made there.
#   STAGE=train or STAGE=evaluate runs one half; STEPS overrides the step budget (8000).
set -euo pipefail
data=$1 runs=$2 device=${3:-cuda} minutes=${4:-7}
abu=$data/abu
channels=(--sensor aviris-classic --channel-list "$abu/abu_inferred_aviris_channels.csv")
train=("$data/salinasA/SalinasA.mat" "$abu/abu-airport-1.npz" "$abu/abu-airport-3.npz" "$abu/abu-airport-4.npz"
       "$abu/abu-beach-1.npz" "$abu/abu-beach-2.npz" "$abu/abu-urban-3.npz" "$abu/abu-urban-4.npz")
val=("$abu/abu-urban-5.npz")
test=("$abu/abu-airport-2.npz" "$abu/abu-beach-3.npz")  # chosen before any training; never used for a choice

run() {  # NAME [train options]: one run in the background, its output in NAME.out
  local name=$1; shift
  python -m inss_geo train --scenes "${train[@]}" --val-scenes "${val[@]}" --out "$runs/$name" "${channels[@]}" \
    --device "$device" --threads 1 -q "$@" >"$runs/$name.out" 2>&1 &
}

if [ "${STAGE:-train}" = train ]; then
  mkdir -p "$runs"
  inss=(--steps "${STEPS:-8000}" --patience 15 --max-minutes "$minutes")
  for seed in 0 1 2; do
    run "o3-s$seed" --seed "$seed" "${inss[@]}"
    run "o1-s$seed" --seed "$seed" --order 1 "${inss[@]}"
  done
  run o3-no-consistency-s0 --seed 0 --no-rgb-consistency "${inss[@]}"
  run o3-no-path-no-consistency-s0 --seed 0 --no-path-radiance --no-rgb-consistency "${inss[@]}"
  run o3-4-stages-s0 --seed 0 --widths 16,32,64,96 "${inss[@]}"
  run ridge --method ridge
  wait
fi
if [ "${STAGE:-evaluate}" = evaluate ]; then
  models=()
  for d in "$runs"/*/; do models+=(--model "${d%/}/model.pt"); done
  python -m inss_geo evaluate "${models[@]}" --scenes "${test[@]}" "${channels[@]}" --device "$device" \
    --json "$runs/test_metrics.json" | tee "$runs/test_metrics.txt"
fi

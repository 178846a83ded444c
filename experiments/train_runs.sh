#!/usr/bin/env bash
# Every run behind docs/results.md: the methods of Table I and the ablations of Table II, on one
# split and one budget each, JOBS at a time; then every run is scored on the test scenes.
#
# usage: experiments/train_runs.sh AVIRIS_DIR RUNS_DIR [DEVICE] [MINUTES]
#   AVIRIS_DIR: laid out as ../shared/data/aviris; RUNS_DIR: one folder per run is made there.
#   JOBS (default 2) runs share the machine, each on one thread (--threads 1); MINUTES (default 8)
#   is each run's wall-clock budget (--max-minutes). Finished runs (model.pt present) are skipped.
#
# Salinas-A is left out of training here (unlike the default model): it is the downstream
# scene of Table III, so no model of these tables has seen it.
set -euo pipefail
data=$1 runs=$2 device=${3:-cpu} minutes=${4:-8}
abu=$data/abu
channels=(--sensor aviris-classic --channel-list "$abu/abu_inferred_aviris_channels.csv")
train=("$abu/abu-airport-1.npz" "$abu/abu-airport-3.npz" "$abu/abu-airport-4.npz" "$abu/abu-beach-1.npz"
       "$abu/abu-beach-2.npz" "$abu/abu-urban-3.npz" "$abu/abu-urban-4.npz")
val=("$abu/abu-urban-5.npz")
test=("$abu/abu-airport-2.npz" "$abu/abu-beach-3.npz")  # chosen before any training; never used for a choice
budget=(--steps 4000 --patience 15 --val-every 50 --max-minutes "$minutes" --seed 0)

run() {  # NAME [train options]: one run, its output in NAME.out; at most JOBS at once
  local name=$1; shift
  [ -f "$runs/$name/model.pt" ] && return 0
  rm -rf "${runs:?}/$name"
  while [ "$(jobs -rp | wc -l)" -ge "${JOBS:-2}" ]; do wait -n; done
  python -m inss_geo train --scenes "${train[@]}" --val-scenes "${val[@]}" --out "$runs/$name" "${channels[@]}" \
    --device "$device" --threads 1 -q "${budget[@]}" "$@" >"$runs/$name.out" 2>&1 &
}

mkdir -p "$runs"
if [ "${STAGE:-train}" = train ]; then
  # Table I: every method (INSS at its defaults is also Table II's reference row)
  for method in inss hscnn lmm hsrnet fmnet r2hgan; do run "$method" --method "$method"; done
  run ridge --method ridge
  # Table II: one change from the reference each
  for order in 1 2 4; do run "order-$order" --order "$order"; done
  run downscale-8 --downscale 8
  for hidden in 16 64; do run "hidden-$hidden" --mlp-hidden "$hidden"; done
  run no-band-weighting --band-weighting uniform
  run no-hsv --w-hsv 0
  run detach-transform --detach-transform
  wait
fi
# every run, and the shipped default model for reference (trained with Salinas-A, on a GPU)
models=(--model "$(dirname "$0")/../models/default/model.pt")
for d in "$runs"/*/; do [ -f "$d/model.pt" ] && models+=(--model "${d%/}/model.pt"); done
python -m inss_geo evaluate "${models[@]}" --scenes "${test[@]}" "${channels[@]}" --device "$device" \
  --json "$runs/test_metrics.json" --overwrite >"$runs/test_metrics.txt"

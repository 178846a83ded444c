#!/usr/bin/env bash
# The CUDA figures in one go, for a GPU machine lent for minutes: the GPU's output against the
# CPU's (the HSI in three precisions, then every output in fp32), then bench/synthesize.py in
# fp32 at 2048² and in bf16.
#
# Usage: bash bench/cuda.sh OUTDIR [SIZE ...]        (default sizes: 2048 8192)
#
# Each step has its own time limit and log in OUTDIR, so a step that fails or runs long still
# leaves the others' figures. OUTDIR also gets gpu.txt (card, driver, torch) and gpu_trace.csv
# (memory used and utilisation every 0.5 s, the whole card's, CUDA context included).
set -u
out=${1:?usage: bash bench/cuda.sh OUTDIR [SIZE ...]}
shift
sizes=${*:-2048 8192}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
here=$(dirname "$0")

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name())'
  nproc; } >"$out/gpu.txt" 2>&1
nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv,noheader -lms 500 >"$out/gpu_trace.csv" &
trace=$!
trap 'kill $trace 2>/dev/null' EXIT

step() {  # step NAME SECONDS COMMAND...: one measurement, its output in OUTDIR/NAME.log
    local name=$1 limit=$2
    shift 2
    echo "== $name: $*" >"$out/$name.log"
    timeout "$limit" "$@" >>"$out/$name.log" 2>&1
    echo "== $name: exit $? at $(date +%T)" >>"$out/$name.log"
}

step precision 120 python3 "$here/precision.py" --device cuda --reference-device cpu --precisions fp32 bf16 fp16
step devices 200 python3 "$here/devices.py" --device cuda --reference-device cpu
step fp32_2048 150 python3 "$here/synthesize.py" 2048 --device cuda --batch-size 8
for s in $sizes; do
    step "bf16_$s" 300 python3 "$here/synthesize.py" "$s" --device cuda --precision bf16 --batch-size 8
done

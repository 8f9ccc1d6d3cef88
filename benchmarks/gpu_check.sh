#!/usr/bin/env bash
# The one prepared check for a lent GPU (docs/experiments.md, "The GPU"): the training step captured
# as one CUDA graph against the eager one (benchmarks/cuda_step.py: same results, speed, kernels and
# multiply-adds per step), the GPU recipe as `digitgen.train` picks it there, for seeds 0 and 1, with
# the meter at 1,000 samples per digit after every epoch (the log says when every target is first
# met), then benchmarks/train_speed.py on CUDA.
# About 300 s of work on an H200 (each part has its own time limit), inside one 590 s call.
#
# The GPU machine has PyTorch but no MNIST and no network. From the repository root, here:
#   mkdir -p .mnist && for f in ../shared/data/MNIST/raw/*-ubyte; do gzip -c "$f" > ".mnist/$(basename "$f").gz"; done
#   echo /.mnist/ >> .git/info/exclude
# then the device tool: run(command="bash benchmarks/gpu_check.sh", carry=[".mnist"], timeout_s=590).
# What comes back under $OUT: cuda_step.json, train_speed_cuda.json, and one tar per training run
# (its log, history, grids and generators; no checkpoint).
set -uo pipefail
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 TQDM_DISABLE=1 DIGITGEN_DATA=/tmp/data
out=${OUT:-/tmp/gpu_check}
mkdir -p "$out" /tmp/data/MNIST/raw
for f in .mnist/*.gz; do gunzip -c "$f" > "/tmp/data/MNIST/raw/$(basename "$f" .gz)"; done
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c 'import torch; print("torch", torch.__version__)'

# 1. The captured step against the eager one
timeout 100 python3 benchmarks/cuda_step.py 2>&1 | tail -n 70 && cp benchmarks/results/cuda_step.json "$out/"

# 2. The GPU recipe
train() {  # name, seconds allowed, options
    echo "== $1: $(date +%T)"
    timeout "$2" python3 -m digitgen.train --data /tmp/data --out "/tmp/$1" --log-every 200 "${@:3}" > "/tmp/$1.log" 2>&1
    echo "exit $? at $(date +%T)"
    grep -E -v '^\{' "/tmp/$1.log" | grep -E -i 'error|every target|warn|saved|graph' | cut -c1-300 | tail -n 12
    python3 - "/tmp/$1.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{"):
        e = json.loads(line)
        keys = ("epoch", "train_seconds", "accuracy", "lowest_digit", "fid", "precision", "recall", "unmet")
        print({k: round(e[k], 4) if isinstance(e.get(k), float) else e.get(k) for k in keys if k in e})
PY
    cp "/tmp/$1.log" "/tmp/$1/train.log" 2>/dev/null
    tar -C /tmp -cf "$out/$1.tar" --exclude checkpoint.safetensors "$1"
}
train gpu_s0 120 --eval-every 1
train gpu_s1 120 --eval-every 1 --seed 1

# 3. Steps per second side by side with the seed's recipe, on CUDA
timeout 100 python3 benchmarks/train_speed.py --device cuda --steps 150 2>&1 | tail -n 60 &&
    cp benchmarks/results/train_speed_cuda.json "$out/"
echo "done at $(date +%T)"

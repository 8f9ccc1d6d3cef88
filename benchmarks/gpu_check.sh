#!/usr/bin/env bash
# The one prepared check for a lent GPU (docs/experiments.md, "The GPU"): it trains a candidate
# one-minute recipe and the GPU recipe with the meter at 1,000 samples per digit along the way (so
# the log says when every target is first met), measures the final generators, and times
# benchmarks/train_speed.py on CUDA.
# At most 560 s of work (each part has its own time limit), inside one 590 s call.
#
# The GPU machine has PyTorch but no MNIST and no network. From the repository root, here:
#   mkdir -p .mnist && for f in ../shared/data/MNIST/raw/*-ubyte; do gzip -c "$f" > ".mnist/$(basename "$f").gz"; done
#   echo /.mnist/ >> .git/info/exclude
# then the device tool: run(command="bash benchmarks/gpu_check.sh", carry=[".mnist"], timeout_s=590).
# What it writes under $OUT comes back: each run's log (the meter's figures at every evaluation and
# "every target met after ... training minutes"), history and model folder as a tar, and
# train_speed_cuda.json: seven files, within the tool's eight.
set -uo pipefail
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 TQDM_DISABLE=1
out=${OUT:-/tmp/gpu_check}
mkdir -p "$out" /tmp/data/MNIST/raw
for f in .mnist/*.gz; do gunzip -c "$f" > "/tmp/data/MNIST/raw/$(basename "$f" .gz)"; done
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv

# 1. A candidate one-minute recipe (the CPU's findings scaled to batch 256: twice the learning
#    rates, decayed over the second half, a discriminator that thinks twice more at 7 x 7 and reads the
#    noise back), then the GPU recipe as `digitgen.train` picks it here
train() {  # name, seconds allowed, options
    timeout "$2" python3 -m digitgen.train --data /tmp/data --out "/tmp/$1" --eval-n 1000 --final-eval-n 1000 \
        --log-every 200 "${@:3}" 2>&1 | tee "$out/$1.log"
    cp "/tmp/$1/history.json" "$out/$1.history.json" 2>/dev/null
    tar -C "/tmp/$1" -cf "$out/$1.tar" model 2>/dev/null
}
train fast 140 --epochs 20 --lr-g 4e-4 --lr-d 8e-4 --decay-from 0.5 --depth-d 2 --read-noise 1 --eval-every 2
train recipe 320 --eval-every 4

# 2. Steps per second side by side with the seed's recipe, on CUDA
timeout 100 python3 benchmarks/train_speed.py --device cuda --steps 150 2>&1 | tail -n 60
cp benchmarks/results/train_speed_cuda.json "$out/" 2>/dev/null

#!/usr/bin/env bash
# The prepared #38 sweep for a lent GPU: the shipped recipe (emphasis x5 in the first 14 of 16 epochs,
# from the weights git commit 4b2748d shipped) at one --guide, over training seeds, each generator
# measured as its card would be (`digitgen evaluate`, 1,000 digits a digit, seed 0). The figures that
# decide a release, FID, precision, recall and the lowest digit, come back for every seed; the CAS
# (10 minutes a generator on a 2-core CPU) is left for the seeds that pass them.
#
# The misread digits depend only on the old weights and MNIST: found once, in the first run, and
# copied into the others' folders (train.py's emphasis.safetensors), so each further seed costs its
# guide's classifier, its training and the meter: about 1.5 minutes on an H200 (an estimate: --guide
# has not yet run under CUDA graphs; if that training fails, the seed and the rest train eagerly,
# about 4.5 minutes each). Seeds start while at least SEED_SECONDS remain of BUDGET.
#
# Once, here, in the repository's root (the GPU machine has PyTorch but no MNIST and no network):
#   mkdir -p .mnist && for f in ../shared/data/MNIST/raw/*-ubyte; do gzip -c "$f" > ".mnist/$(basename "$f").gz"; done
#   mkdir -p .old_weights && git archive 4b2748d digitgen/weights/generator/config.json \
#     digitgen/weights/generator/model.safetensors | tar -x -C .old_weights --strip-components 3
#   printf '/.mnist/\n/.old_weights/\n' >> .git/info/exclude
# then the device tool: run(command="GUIDE=0.5 SEEDS='0 1 2 3 4 5' bash benchmarks/gpu_seeds.sh",
# carry=[".mnist", ".old_weights"], timeout_s=590). Under $OUT: seeds.json (one line of figures a
# seed) and, per seed, its generator folder (no checkpoint) and training log.
# EXTRA (more options for digitgen.train) and DATA (an MNIST root instead of .mnist) serve a dry run
# on a CPU.
set -uo pipefail
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 TQDM_DISABLE=1
out=${OUT:-/tmp/gpu_seeds}
guide=${GUIDE:-0.5}
budget=${BUDGET:-560}
seed_seconds=${SEED_SECONDS:-120}
data=${DATA:-/tmp/data}
mkdir -p "$out"
if [ -z "${DATA:-}" ]; then
    mkdir -p /tmp/data/MNIST/raw
    for f in .mnist/*.gz; do gunzip -c "$f" > "/tmp/data/MNIST/raw/$(basename "$f" .gz)"; done
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo "no GPU: a dry run"
train() {  # run folder, seed, seconds left, further options
    # shellcheck disable=SC2086  # EXTRA and the fallback are lists of options
    timeout $(($3 - 30)) python3 -m digitgen.train --data "$data" --out "$1" --recipe gpu --eval-every 0 \
        --final-eval-n 0 --emphasis-from .old_weights --emphasis 5 --emphasis-epochs 14 \
        --guide "$guide" --seed "$2" "${@:4}" > "$1/train.log" 2>&1
    local status=$?
    grep -E -i 'error|emphasis|graph|compil' "$1/train.log" | cut -c1-200 | tail -n 6
    return $status
}
first="" eager=""
for seed in ${SEEDS:-0 1 2 3}; do
    left=$((budget - SECONDS))
    if [ "$left" -lt "$seed_seconds" ]; then
        echo "== seed $seed not started: ${left}s left"
        continue
    fi
    run=/tmp/guide${guide}_seed$seed
    mkdir -p "$run"
    [ -n "$first" ] && cp "$first/emphasis.safetensors" "$run/"
    echo "== seed $seed: $(date +%T)"
    # shellcheck disable=SC2086
    train "$run" "$seed" "$left" ${EXTRA:-} $eager
    status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ -z "$eager" ]; then  # a guided step never yet captured
        eager=--no-cuda-graph
        echo "training exited $status; again without the CUDA graph, for this seed and the rest"
        # shellcheck disable=SC2086
        train "$run" "$seed" $((budget - SECONDS)) ${EXTRA:-} $eager
        status=$?
    fi
    mkdir -p "$out/seed$seed" && cp "$run/train.log" "$out/seed$seed/"
    if [ "$status" -ne 0 ]; then
        echo "training exited $status"
        continue
    fi
    [ -z "$first" ] && first=$run
    cp -r "$run/model" "$out/seed$seed/"
    python3 -m digitgen.evaluate --model "$run/model" --data "$data" --n-per-digit "${N_PER_DIGIT:-1000}" \
        --out "$run/evaluate.json" > /dev/null 2>&1 || { echo "evaluate failed"; continue; }
    python3 - "$run/evaluate.json" "$seed" "$guide" "$SECONDS" >> "$out/seeds.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
keys = ("accuracy", "fid", "cfid", "precision", "recall", "diversity")
line = {"guide": float(sys.argv[3]), "seed": int(sys.argv[2]), **{k: r[k] for k in keys}}
line.update(lowest_digit=min(r["per_digit_accuracy"]), seconds_so_far=int(sys.argv[4]))
print(json.dumps(line))
PY
    tail -n 1 "$out/seeds.json"
done
echo "done at $(date +%T), ${SECONDS}s"

"""Discriminator rejection sampling (Azadi et al. 2019), measured by what the digits teach (#38).

A training run's checkpoint holds the discriminator beside the generator. DRS keeps each sample
with probability ``sigmoid(F(x) - gamma)``, where ``F(x) = d - d_max - log(1 - exp(d - d_max - eps))``
(``d``: the discriminator's logit, ``d_max``: its largest on a burn-in draw, per digit) and
``gamma`` sets how many are kept (here: F's quantile ``1 - keep`` on the burn-in, per digit, so
about ``keep`` of the candidates survive). The paper also fine-tunes the discriminator's last
layer to calibrate it; this measures the plain form.

For each set (plain samples, and DRS at each ``--keep``) the script builds 6,000 digits of each digit
from the run's sampling generator, trains the meter's classifier on them once per training seed
(``classifier.fit_classifier``, 4 epochs) and tests it on MNIST test, and reads the set's meter
figures (accuracy, FID, precision, recall against MNIST test, on the first 1,000 of each digit).
Run: ``DIGITGEN_DATA=... python benchmarks/rejection_sampling.py --run RUN_DIR --keep 0.5`` (a
``python -m digitgen.train`` output folder); results in ``benchmarks/results/rejection_sampling.json``
(``--name``: another file). Without ``--keep`` it measures the run's plain samples only: the same
figures for any training lever, run against run (``cas_capacity.json``, ``cas_diffaugment.json``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch
from common import mnist_root, report

from digitgen.checkpoint import CHECKPOINT
from digitgen.classifier import fit_classifier, read_images
from digitgen.data import DigitSet, load_mnist
from digitgen.draw import noise_from, pixels
from digitgen.evaluate import figures, rounded
from digitgen.models import NUM_CLASSES, MinibatchStd
from digitgen.train import new_run, saved_config

PER_DIGIT = 6000  # the meter's CAS: 60,000 digits
BURN_IN = 10_000  # candidates per digit that fix d_max and gamma
BATCH = 512  # candidates per pass, in same-digit groups as training's batches


def load_run(folder: Path):
    """The run's networks as its checkpoint left them, on the CPU."""
    cfg = replace(saved_config(folder / CHECKPOINT), compile=False, device="cpu")
    run = new_run(cfg, torch.device("cpu"))
    run.load(folder / CHECKPOINT, torch.device("cpu"))
    return run


@torch.inference_mode()
def logits(run, z: torch.Tensor, digit: int) -> torch.Tensor:
    """The discriminator's logits for the (uncentred) digits the sampling generator draws from ``z``,
    scored in batches as training scored fakes (BatchNorm on the batch, minibatch-stddev groups of 4)."""
    run.ema.eval()
    run.D.train()  # training normalised fakes by their own batch: score them the same way
    centred, run.ema.centred = run.ema.centred, False
    try:
        out = []
        for zz in z.split(BATCH):
            y = torch.full((len(zz),), digit)
            out.append(run.D(run.ema(zz, y), y).float())
        return torch.cat(out)
    finally:
        run.ema.centred = centred


def drs_score(d: torch.Tensor, d_max: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """DRS's F: the logit shifted so that the best sample seen scores highest, read as a log-odds."""
    return d - d_max - torch.log1p(-torch.exp(torch.clamp(d - d_max - eps, max=-eps)))


def drs_set(run, keep: float, seed: int) -> tuple[DigitSet, float]:
    """``PER_DIGIT`` digits of each digit kept by DRS at about ``keep``; and the candidates drawn per kept digit."""
    assert BATCH % MinibatchStd.group == 0
    stream, coin = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    kept_z, labels, drawn = [], [], 0
    for digit in range(NUM_CLASSES):
        burn = logits(run, noise_from(stream, run.ema.z_dim, BURN_IN), digit)
        d_max = burn.max()
        gamma = torch.quantile(drs_score(burn, d_max), 1 - keep)
        chosen: list[torch.Tensor] = []
        while (need := PER_DIGIT - sum(len(c) for c in chosen)) > 0:
            z = noise_from(stream, run.ema.z_dim, BATCH * 4)
            d = logits(run, z, digit)
            d_max = torch.maximum(d_max, d.max())  # the paper updates the maximum as it sees larger ones
            accepted = torch.nonzero(torch.rand(len(z), generator=coin) < torch.sigmoid(drs_score(d, d_max) - gamma))
            accepted = accepted[:need, 0]
            chosen.append(z[accepted])
            drawn += int(accepted[-1]) + 1 if len(accepted) == need else len(z)  # candidates looked at
        kept_z.append(torch.cat(chosen))
        labels.append(torch.full((PER_DIGIT,), digit))
    z, y = torch.cat(kept_z), torch.cat(labels)
    return DigitSet(torch.from_numpy(pixels(run.ema, y, z)), y), drawn / len(y)


def plain_set(run, seed: int) -> DigitSet:
    stream = torch.Generator().manual_seed(seed)
    y = torch.arange(NUM_CLASSES).repeat_interleave(PER_DIGIT)
    return DigitSet(torch.from_numpy(pixels(run.ema, y, noise_from(stream, run.ema.z_dim, len(y)))), y)


def test_accuracy(digits: DigitSet, seed: int, test: DigitSet) -> dict[str, object]:
    """The meter's classifier trained on ``digits``: its MNIST test accuracy, overall and per digit."""
    _, probs = read_images(test.images, fit_classifier(digits, 4, seed=seed).eval())
    right = (probs.argmax(1) == test.labels).float()
    per_digit = [round(float(right[test.labels == d].mean()), 4) for d in range(NUM_CLASSES)]
    return {"seed": seed, "cas": round(float(right.mean()), 4), "per_digit": per_digit}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run", type=Path, required=True, help="a training run's folder (its checkpoint holds D)")
    p.add_argument(
        "--keep",
        type=float,
        action="append",
        default=[],
        help="DRS at this keep rate (repeatable); without one, plain samples only",
    )
    p.add_argument("--seeds", type=int, default=2, help="the classifier's training seeds per set")
    p.add_argument("--name", default="rejection_sampling")
    a = p.parse_args()
    root, run = mnist_root(), load_run(a.run)
    test = load_mnist(root, train=False)
    ref_feats, _ = read_images(test.images)
    results: dict[str, dict] = {}
    for keep in [None, *a.keep]:
        start = time.perf_counter()
        digits, drawn = (plain_set(run, 0), 1.0) if keep is None else drs_set(run, keep, 0)
        name = "plain" if keep is None else f"drs_keep_{keep}"
        first = torch.cat([torch.nonzero(digits.labels == d)[:1000, 0] for d in range(NUM_CLASSES)])
        entry = {
            "sampling_seconds": round(time.perf_counter() - start, 1),
            "candidates_per_digit_kept": round(drawn, 2),
            **rounded(figures(digits.images[first], digits.labels[first], test, ref_feats)),
            "runs": [],
        }
        for seed in range(a.seeds):
            t = time.perf_counter()
            entry["runs"].append({**test_accuracy(digits, seed, test), "seconds": round(time.perf_counter() - t)})
            entry["cas_mean"] = round(statistics.mean(r["cas"] for r in entry["runs"]), 4)
            results[name] = entry
            report(a.name, {"run": str(a.run), "epoch": run.epoch, "sets": results})


if __name__ == "__main__":
    main()

"""Coverage emphasis, a lever for #38: train on the real digits the generator misses more often.

Which real training digits are missed (``--missed``):

* ``uncovered``: the shipped weights draw 6,000 of each digit (seed 1); a real training digit is
  missed when it lies outside the k-NN ball (k = 3, in the meter's features) of every generated
  digit of its class: the per-digit form of the meter's recall;
* ``misread``: the meter's classifier is trained on the CAS's 60,000 generated digits (seed 0) and a
  real training digit is missed when that classifier misreads it: the styles the generator's digits
  do not teach (MNIST test is never looked at). This one is training's own ``--emphasis-from``.

The missed real digits are then drawn ``--emphasis`` times as often during a run of the CPU recipe
(``python -m digitgen.train --recipe cpu --emphasis-from shipped``; any further options, such as
``--emphasis-epochs N``, go to it), each epoch as long as before (``data.grouped_permutation``): they
are written to ``RUN_DIR/emphasis.safetensors`` with how they were chosen, where the run finds them.

Run: ``DIGITGEN_DATA=... python benchmarks/coverage_emphasis.py --emphasis 2 --out RUN_DIR [--guide 0.25]``,
then ``python benchmarks/rejection_sampling.py --run RUN_DIR --name NAME`` for the run's CAS and
meter figures. The missed share of each digit goes to ``benchmarks/results/coverage_emphasis.json``
(``coverage_emphasis_misread.json``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from common import mnist_root, report

import digitgen.train
from digitgen import Generator, load_generator
from digitgen.classifier import load_classifier, read_images
from digitgen.data import DigitSet, load_mnist
from digitgen.evaluate import generated_set, inside_balls, knn_radii, misread_digits
from digitgen.layout import NUM_CLASSES
from digitgen.style import fingerprint
from digitgen.train import keep_emphasised


def uncovered_digits(real: DigitSet, generator: Generator, per_digit: int = 6000, seed: int = 1) -> torch.Tensor:
    """Which of ``real``'s digits lie outside every k-NN ball of ``generator``'s digits of their class."""
    fake, meter = generated_set(generator, per_digit, seed), load_classifier()
    real_feats, fake_feats = read_images(real.images, meter)[0], read_images(fake.images, meter)[0]
    uncovered = torch.zeros(len(real), dtype=torch.bool)
    for digit in range(NUM_CLASSES):
        mine, theirs = real.labels == digit, fake_feats[fake.labels == digit]
        uncovered[mine] = ~inside_balls(real_feats[mine], theirs, knn_radii(theirs))
    return uncovered


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--emphasis", type=int, default=2, help="how many times as often a missed digit is drawn")
    p.add_argument("--missed", choices=("uncovered", "misread"), default="uncovered", help="which real digits")
    p.add_argument("--out", required=True, help="the training run's folder")
    a, training = p.parse_known_args()
    if a.emphasis < 1:
        p.error("--emphasis must be at least 1 (1: every digit as often as MNIST holds it)")
    root = mnist_root()
    real = load_mnist(root, train=True)
    shipped = load_generator()
    missed = uncovered_digits(real, shipped) if a.missed == "uncovered" else misread_digits(real, shipped)
    labels = real.labels
    shares = [round(float(missed[labels == d].float().mean()), 4) for d in range(NUM_CLASSES)]
    name = "coverage_emphasis" if a.missed == "uncovered" else "coverage_emphasis_misread"
    share = round(float(missed.float().mean()), 4)
    report(name, {"missed": a.missed, "missed_per_digit": shares, "missed_share": share})
    keep_emphasised(Path(a.out), real, missed, fingerprint(shipped).hex(), a.missed)  # training draws these more often
    emphasis = ["--emphasis-from", "shipped", "--emphasis", str(a.emphasis)]
    digitgen.train.main(["--data", root, "--out", a.out, "--recipe", "cpu", "--eval-every", "0", *emphasis, *training])


if __name__ == "__main__":
    main()

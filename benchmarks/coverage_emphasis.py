"""Coverage emphasis, a lever for #38: train on the real digits the generator misses more often.

Which real training digits are missed (``--missed``):

* ``uncovered``: the shipped weights draw 6,000 of each digit (seed 1); a real training digit is
  missed when it lies outside the k-NN ball (k = 3, in the meter's features) of every generated
  digit of its class: the per-digit form of the meter's recall;
* ``misread``: the meter's classifier is trained on the CAS's 60,000 generated digits (seed 0,
  ``classifier.fit_classifier``) and a real training digit is missed when that classifier misreads
  it: the styles the generator's digits do not teach (MNIST test is never looked at).

The missed real digits are then drawn ``--emphasis`` times as often during a run of the CPU recipe
(``python -m digitgen.train --recipe cpu``; any further options go to it), each epoch as long as
before: training's grouped order is drawn from pools where each missed digit appears ``--emphasis``
times (``--emphasis-epochs N``: in the first N epochs only; the run must not be resumed).

Run: ``DIGITGEN_DATA=... python benchmarks/coverage_emphasis.py --emphasis 2 --out RUN_DIR [--guide 0.25]``,
then ``python benchmarks/rejection_sampling.py --run RUN_DIR --name NAME`` for the run's CAS and
meter figures. The missed share of each digit goes to ``benchmarks/results/coverage_emphasis.json``
(``coverage_emphasis_misread.json``). Not an option of ``digitgen.train`` (docs/experiments.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from common import mnist_root, report

import digitgen.train
from digitgen import load_generator
from digitgen.classifier import fit_classifier, load_classifier, read_images
from digitgen.data import DigitSet, grouped_permutation, load_mnist
from digitgen.evaluate import generated_set, inside_balls, knn_radii
from digitgen.layout import NUM_CLASSES


def uncovered_digits(real: DigitSet, per_digit: int = 6000, seed: int = 1) -> torch.Tensor:
    """Which of ``real``'s digits lie outside every k-NN ball of the shipped weights' digits of their class."""
    fake, meter = generated_set(load_generator(), per_digit, seed), load_classifier()
    real_feats, fake_feats = read_images(real.images, meter)[0], read_images(fake.images, meter)[0]
    uncovered = torch.zeros(len(real), dtype=torch.bool)
    for digit in range(NUM_CLASSES):
        mine, theirs = real.labels == digit, fake_feats[fake.labels == digit]
        uncovered[mine] = ~inside_balls(real_feats[mine], theirs, knn_radii(theirs))
    return uncovered


def misread_digits(real: DigitSet) -> torch.Tensor:
    """Which of ``real``'s digits a classifier trained on the CAS's generated digits misreads."""
    fake = generated_set(load_generator(), 6000, seed=0)
    return read_images(real.images, fit_classifier(fake, 4, seed=0))[1].argmax(1) != real.labels


def emphasised_order(missed: torch.Tensor, times: int, epochs: int | None = None) -> Callable[..., torch.Tensor]:
    """``grouped_permutation`` drawing from pools holding each missed digit ``times`` times, cut to size,
    for the first ``epochs`` epochs (all when None; training asks for one order an epoch), then the plain one."""
    asked = 0

    def order(labels: torch.Tensor, group: int, generator: torch.Generator) -> torch.Tensor:
        nonlocal asked
        asked += 1
        if epochs is not None and asked > epochs:
            return grouped_permutation(labels, group, generator)
        labels, chunks = labels.cpu(), []
        for digit in labels.unique():
            idx = torch.nonzero(labels == digit).flatten()
            pool = torch.cat([idx, *[idx[missed[idx]]] * (times - 1)])
            pool = pool[torch.randperm(len(pool), generator=generator)][: len(idx)]
            chunks.append(pool[: len(pool) // group * group].view(-1, group))
        groups = torch.cat(chunks)
        return groups[torch.randperm(len(groups), generator=generator)].flatten()

    return order


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--emphasis", type=int, default=2, help="how many times as often a missed digit is drawn")
    p.add_argument("--missed", choices=("uncovered", "misread"), default="uncovered", help="which real digits")
    p.add_argument("--emphasis-epochs", type=int, help="emphasise the first N epochs only, then train plainly")
    p.add_argument("--out", required=True, help="the training run's folder")
    a, training = p.parse_known_args()
    if a.emphasis < 1:
        p.error("--emphasis must be at least 1 (1: every digit as often as MNIST holds it)")
    if a.emphasis_epochs is not None and a.emphasis_epochs < 1:
        p.error("--emphasis-epochs must be at least 1 (leave it out to emphasise every epoch)")
    root = mnist_root()
    real = load_mnist(root, train=True)
    missed, labels = (uncovered_digits if a.missed == "uncovered" else misread_digits)(real), real.labels
    shares = [round(float(missed[labels == d].float().mean()), 4) for d in range(NUM_CLASSES)]
    name = "coverage_emphasis" if a.missed == "uncovered" else "coverage_emphasis_misread"
    share = round(float(missed.float().mean()), 4)
    report(name, {"missed": a.missed, "missed_per_digit": shares, "missed_share": share})
    # the one change to training: the order it draws its digits in
    digitgen.train.grouped_permutation = emphasised_order(missed, a.emphasis, a.emphasis_epochs)
    digitgen.train.main(["--data", root, "--out", a.out, "--recipe", "cpu", "--eval-every", "0", *training])


if __name__ == "__main__":
    main()

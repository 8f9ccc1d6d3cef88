"""Coverage emphasis, a lever for #38: train on the real digits the generator misses more often.

The shipped weights draw 6,000 of each digit (seed 1). A real training digit counts as covered when
it lies inside the k-NN ball (k = 3, in the meter's features) of one of the generated digits of its
class: the per-digit form of the meter's recall. The uncovered real digits are then drawn
``--emphasis`` times as often during a run of the CPU recipe (``python -m digitgen.train --recipe
cpu``; any further options go to it), each epoch as long as before: training's grouped order is
drawn from a pool where each uncovered digit appears ``--emphasis`` times.

Run: ``DIGITGEN_DATA=... python benchmarks/coverage_emphasis.py --emphasis 2 --out RUN_DIR [--guide 0.25]``,
then ``python benchmarks/rejection_sampling.py --run RUN_DIR --name NAME`` for the run's CAS and
meter figures. The uncovered share of each digit goes to ``benchmarks/results/coverage_emphasis.json``.
Not an option of ``digitgen.train``: it raises recall but not CAS (docs/experiments.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from common import mnist_root, report

import digitgen.train
from digitgen import load_generator
from digitgen.classifier import load_classifier, read_images
from digitgen.data import load_mnist
from digitgen.evaluate import generated_set, knn_radii
from digitgen.layout import NUM_CLASSES


def uncovered_digits(root: str, per_digit: int = 6000, seed: int = 1) -> torch.Tensor:
    """Which of MNIST's training digits lie outside every k-NN ball of the shipped weights' digits of their class."""
    real, fake = load_mnist(root, train=True), generated_set(load_generator(), per_digit, seed)
    meter = load_classifier()
    real_feats, fake_feats = read_images(real.images, meter)[0], read_images(fake.images, meter)[0]
    uncovered = torch.zeros(len(real), dtype=torch.bool)
    for digit in range(NUM_CLASSES):
        mine, theirs = torch.nonzero(real.labels == digit).flatten(), fake_feats[fake.labels == digit]
        radii = knn_radii(theirs)
        hit = torch.cat([(torch.cdist(chunk, theirs) <= radii).any(1) for chunk in real_feats[mine].split(2048)])
        uncovered[mine] = ~hit
    return uncovered


def emphasised_order(uncovered: torch.Tensor, times: int) -> Callable[..., torch.Tensor]:
    """``grouped_permutation`` drawing from pools holding each uncovered digit ``times`` times, cut to size."""

    def order(labels: torch.Tensor, group: int, generator: torch.Generator) -> torch.Tensor:
        labels, chunks = labels.cpu(), []
        for digit in labels.unique():
            idx = torch.nonzero(labels == digit).flatten()
            pool = torch.cat([idx, *[idx[uncovered[idx]]] * (times - 1)])
            pool = pool[torch.randperm(len(pool), generator=generator)][: len(idx)]
            chunks.append(pool[: len(pool) // group * group].view(-1, group))
        groups = torch.cat(chunks)
        return groups[torch.randperm(len(groups), generator=generator)].flatten()

    return order


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--emphasis", type=int, default=2, help="how many times as often an uncovered digit is drawn")
    p.add_argument("--out", required=True, help="the training run's folder")
    a, training = p.parse_known_args()
    root = mnist_root()
    uncovered = uncovered_digits(root)
    labels = load_mnist(root, train=True).labels
    shares = [round(float(uncovered[labels == d].float().mean()), 3) for d in range(NUM_CLASSES)]
    report("coverage_emphasis", {"uncovered_per_digit": shares, "uncovered": round(float(uncovered.float().mean()), 4)})
    digitgen.train.grouped_permutation = emphasised_order(uncovered, a.emphasis)  # the one change to training
    digitgen.train.main(["--data", root, "--out", a.out, "--recipe", "cpu", "--eval-every", "0", *training])


if __name__ == "__main__":
    main()

"""Shape controls, measured: does each control move its attribute across MNIST's range, and only it?

For every digit, 200 hands (seeds' first vectors) are written at five settings of each control
(−1, −0.5, 0, 0.5, 1, the other two at 0) and measured with Morpho-MNIST's morphometrics. Against
real MNIST's training digits of that digit (2,000 each), the targets are:

* the control's attribute, averaged over the hands, rises with the setting at every step (monotonic)
  and spans at least MNIST's 5th–95th percentile range (−1 at or below the 5th, 1 at or above the 95th);
* each of the other two attributes moves (largest mean minus smallest) by at most a quarter of
  its own 5th–95th range;
* the classifier reads the asked digit in ≥ 99 % of the images at every setting.

Beside the last target, its real floor: how often the classifier reads real digits as far out as
the ends, MNIST's test digits of that digit at or beyond the 5th or 95th percentile of the
attribute (19–73 of them an end), and whether the −1 and 1 settings read at least as well.

Run: ``python benchmarks/shape.py [--model FOLDER --name NAME]`` (``$DIGITGEN_DATA``: a torchvision MNIST root).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import mnist_root, report

from digitgen import generate, load_generator
from digitgen.classifier import read_digits
from digitgen.data import load_mnist
from digitgen.shape import CONTROLS, control_attributes, mnist_ranges

SETTINGS = (-1.0, -0.5, 0.0, 0.5, 1.0)


def real_ends_read(root: str, ranges: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per digit, the share of MNIST's test digits at or beyond each end of each attribute's range that the
    classifier reads right, and how many there are: two ``(3, 2)`` arrays (columns: low end, high end)."""
    test = load_mnist(root, train=False)
    table, labels = control_attributes(test.images.numpy()), test.labels.numpy()
    right = np.array([d for d, _ in read_digits(test.images.numpy())]) == labels
    floors = {}
    for d in range(10):
        mine = labels == d
        ends = [[mine & (table[:, i] <= lo), mine & (table[:, i] >= hi)] for i, (lo, hi) in enumerate(ranges[d])]
        floors[d] = (
            np.array([[right[e].mean() for e in pair] for pair in ends]),
            np.array([[e.sum() for e in pair] for pair in ends]),
        )
    return floors


def written(generator, digit: int, hands: int, control: str, setting: float) -> tuple[np.ndarray, float]:
    """The hands' mean attributes ``(3,)`` at one setting, and the share of images read as ``digit``."""
    images = np.concatenate([generate(digit, s, 1, generator=generator, **{control: setting}) for s in range(hands)])
    read = np.mean([d == digit for d, _ in read_digits(images)])
    return np.nanmean(control_attributes(images), axis=0), float(read)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--hands", type=int, default=200)
    p.add_argument("--mnist-per-digit", type=int, default=2000)
    p.add_argument("--model", default=None, help="a generator's folder with its shape/ (default: the shipped weights)")
    p.add_argument("--name", default="shape", help="the results file's name")
    a = p.parse_args()
    torch.set_num_threads(2)
    start = time.perf_counter()
    ranges = mnist_ranges(mnist_root(), a.mnist_per_digit)
    floors = real_ends_read(mnist_root(), ranges)
    g = load_generator(a.model)
    rows, failures = [], []
    for digit in range(10):
        span = ranges[digit][:, 1] - ranges[digit][:, 0]
        for i, control in enumerate(CONTROLS):
            means, reads = zip(*(written(g, digit, a.hands, control, s) for s in SETTINGS), strict=True)
            means = np.stack(means)  # (settings, 3)
            own = means[:, i]
            others = [j for j in range(3) if j != i]
            moved = (means[:, others].max(0) - means[:, others].min(0)) / span[others]
            moved_by_name = {CONTROLS[j]: round(float(v), 3) for j, v in zip(others, moved, strict=True)}
            row = {
                "digit": digit,
                "control": control,
                "attribute_at_settings": np.round(own, 3).tolist(),
                "mnist_p5_p95": np.round(ranges[digit][i], 3).tolist(),
                "monotonic": bool(np.all(np.diff(own) > 0)),
                "spans_mnist_range": bool(own[0] <= ranges[digit][i, 0] and own[-1] >= ranges[digit][i, 1]),
                "others_moved_share_of_range": moved_by_name,
                "others_within_quarter": bool(np.all(moved <= 0.25)),
                "read_right_min": round(min(reads), 4),
                "read_right_at_settings": [round(r, 4) for r in reads],
                "real_read_beyond_ends": np.round(floors[digit][0][i], 4).tolist(),
                "real_beyond_ends_n": floors[digit][1][i].tolist(),
                "ends_read_as_well_as_real": bool(
                    reads[0] >= floors[digit][0][i, 0] and reads[-1] >= floors[digit][0][i, 1]
                ),
            }
            rows.append(row)
            checks = ("monotonic", "spans_mnist_range", "others_within_quarter")
            failures += [f"{digit} {control}: {c}" for c in checks if not row[c]]
            if row["read_right_min"] < 0.99:
                failures.append(f"{digit} {control}: read {row['read_right_min']:.1%}")
            print(digit, control, row["attribute_at_settings"], row["mnist_p5_p95"], moved.round(2), reads, flush=True)
    report(
        a.name,
        {
            "model": g.source,
            "hands": a.hands,
            "settings": SETTINGS,
            "seconds": round(time.perf_counter() - start, 1),
            "met": {
                "monotonic": sum(r["monotonic"] for r in rows),
                "spans_mnist_range": sum(r["spans_mnist_range"] for r in rows),
                "others_within_quarter": sum(r["others_within_quarter"] for r in rows),
                "read_right_99": sum(r["read_right_min"] >= 0.99 for r in rows),
                "real_digits_beyond_both_ends_read_99": sum(min(r["real_read_beyond_ends"]) >= 0.99 for r in rows),
                "ends_read_as_well_as_real": sum(r["ends_read_as_well_as_real"] for r in rows),
                "of": len(rows),
            },
            "ends_read_mean": {  # over every digit, control and end (−1 and 1)
                "generated": round(float(np.mean([r["read_right_at_settings"][e] for r in rows for e in (0, -1)])), 4),
                "real_beyond_them": round(float(np.mean([r["real_read_beyond_ends"] for r in rows])), 4),
            },
            "failures": failures,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()

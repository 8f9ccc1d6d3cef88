"""Digit-to-digit morphs, measured: one hand turning digit A into digit B, for every ordered pair.

For each of the 90 ordered pairs (A ≠ B) and each of 100 hands (seeds 0–99), a strip of 16 frames
(``sample.morph_digits``) is read by the classifier. Targets: the first frame reads A and the last
reads B in ≥ 99 % of the strips. Reported beside them, for the in-between digits (useful as
deliberately ambiguous test data): where the classifier's answer first leaves A (the flip, as a
fraction of the way from A to B), its confidence at that frame, and how often the strip passes
through a third digit on the way. Run: ``python benchmarks/digit_morph.py`` (2 CPU cores: about a minute).
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import torch
from common import report

from digitgen import load_generator
from digitgen.classifier import read_digits
from digitgen.sample import morph_digits


def quantiles(values: list[float]) -> list[float]:
    return [round(float(np.percentile(values, q)), 3) for q in (10, 50, 90)]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--hands", type=int, default=100)
    p.add_argument("--frames", type=int, default=16)
    a = p.parse_args()
    torch.set_num_threads(2)
    g, start = load_generator(), time.perf_counter()
    pairs, ends_right, flips, flip_confidence, detours = [], 0, [], [], 0
    for digit_from, digit_to in itertools.permutations(range(10), 2):
        strips = np.stack([morph_digits(digit_from, digit_to, s, a.frames, generator=g) for s in range(a.hands)])
        readings = read_digits(strips.reshape(-1, 28, 28))
        read = np.array([d for d, _ in readings]).reshape(a.hands, a.frames)
        sure = np.array([c for _, c in readings]).reshape(a.hands, a.frames)
        right = (read[:, 0] == digit_from) & (read[:, -1] == digit_to)
        ends_right += int(right.sum())
        left_a = np.argmax(read != digit_from, axis=1)  # the first frame not read as A
        pair_flips = left_a[right] / (a.frames - 1)
        flips += pair_flips.tolist()
        flip_confidence += sure[right, left_a[right]].tolist()
        detours += int(sum(bool(set(row) - {digit_from, digit_to}) for row in read[right]))
        pairs.append(
            {"from": digit_from, "to": digit_to, "ends_right": round(float(right.mean()), 3),
             "flip_at_median": round(float(np.median(pair_flips)), 3) if len(pair_flips) else None}
        )  # fmt: skip
    strips_total = 90 * a.hands
    report(
        "digit_morph",
        {
            "hands": a.hands,
            "frames": a.frames,
            "seconds": round(time.perf_counter() - start, 1),
            "ends_read_right": round(ends_right / strips_total, 4),
            "target_ends_read_right": 0.99,
            "flip_at_p10_p50_p90": quantiles(flips),
            "confidence_at_flip_p10_p50_p90": quantiles(flip_confidence),
            "through_a_third_digit": round(detours / max(ends_right, 1), 4),
            "worst_pairs": sorted(pairs, key=lambda r: r["ends_right"])[:5],
            "pairs": pairs,
        },
    )


if __name__ == "__main__":
    main()

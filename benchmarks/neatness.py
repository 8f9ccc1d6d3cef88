"""The neatness knob measured: the meter's figures at several truncation settings.

Picks the default of ``digitgen.sample.DEFAULT_NEATNESS``: the setting with the best FID, the
one figure that weighs clean digits and varied digits together (accuracy and precision rise
with neatness while recall falls). Run: ``python benchmarks/neatness.py [--model PATH] [--n-per-digit 500]``.
"""

from __future__ import annotations

import argparse

from common import mnist_root, report

from digitgen import load_generator
from digitgen.evaluate import Meter

SETTINGS = [0.0, 0.25, 0.5, 0.75, 1.0]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=None)
    p.add_argument("--n-per-digit", type=int, default=500)
    a = p.parse_args()
    generator = load_generator(a.model)
    meter = Meter(mnist_root(), a.n_per_digit)
    rows = []
    for neatness in SETTINGS:
        figs = meter.measure(generator, neatness=neatness)
        rows.append({k: figs[k] for k in ("neatness", "accuracy", "fid", "precision", "recall", "diversity")})
    report(
        "neatness",
        {
            "model": generator.source,
            "n_per_digit": a.n_per_digit,
            "rows": rows,
            "best_by_fid": min(rows, key=lambda r: r["fid"])["neatness"],
        },
    )


if __name__ == "__main__":
    main()

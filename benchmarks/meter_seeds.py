"""The meter's figures for several generators over several sample seeds: a difference or sampling noise?

The meter reads 1,000 samples of each digit drawn from one seed (0 for every card and README
figure). Another seed draws another 10,000 digits: the spread over seeds is the figure's sampling
noise, and a difference between two generators smaller than it is not one. One ``Meter`` (MNIST
test read once) measures every generator at every seed.

``--scales 0.9 1 1.1`` also measures each generator drawing from noise that many times as wide as it
was trained on (a lever of #38's: the noise's distribution at sampling time), as ``NAME@SCALE``.

Run: ``DIGITGEN_DATA=... python benchmarks/meter_seeds.py --name NAME shipped=digitgen/weights/generator
mine=runs/mine/model [--seeds 0 1 2] [--scales 1]``; writes ``benchmarks/results/NAME.json``.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
from common import mnist_root, report

from digitgen import Generator, load_generator
from digitgen.evaluate import Meter

FIGURES = ("accuracy", "fid", "cfid", "precision", "recall", "diversity")


def widened(generator: Generator, scale: float) -> Generator:
    """The generator drawing every digit from its noise times ``scale`` (1: as trained), sharing its weights."""
    wide = copy.copy(generator)
    wide.forward = lambda z, y: generator.forward(z * scale, y)
    return wide


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("models", nargs="+", help="NAME=FOLDER_OR_REPO, one per generator")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="the sample seeds")
    p.add_argument("--scales", type=float, nargs="+", default=[1.0], help="the noise's scale at sampling")
    p.add_argument("--name", default="meter_seeds", help="the results file's name")
    a = p.parse_args()
    if any("=" not in m for m in a.models):
        p.error("name each generator: NAME=FOLDER_OR_REPO")
    meter, start, results = Meter(mnist_root(), 1000), time.perf_counter(), {}
    models = (m.split("=", 1) for m in a.models)
    for (name, source), scale in ((model, scale) for model in models for scale in a.scales):
        generator = widened(load_generator(source), scale)
        name = f"{name}@{scale:g}" if a.scales != [1.0] else name
        runs = []
        for seed in a.seeds:
            figs = meter.measure(generator, seed)
            lowest = min(figs["per_digit_accuracy"])
            runs.append({"seed": seed, **{k: figs[k] for k in FIGURES}, "lowest_digit": lowest})
        mean = {k: round(float(np.mean([r[k] for r in runs])), 4) for k in (*FIGURES, "lowest_digit")}
        spread = {k: round(float(np.ptp([r[k] for r in runs])), 4) for k in FIGURES}
        results[name] = {"source": source, "noise_scale": scale, "mean": mean, "spread": spread, "seeds": runs}
        print(name, mean, flush=True)
    report(a.name, {"n_per_digit": 1000, "models": results, "seconds": round(time.perf_counter() - start, 1)})


if __name__ == "__main__":
    main()

"""Train-on-synthetic, measured over training seeds: what digitgen's digits teach the meter's classifier.

The meter's classifier (``classifier.fit_classifier``: its recipe, 4 epochs) is trained on each of
these sets and tested on MNIST test, once per training seed (the classifier's initialisation,
order and augmentation; the sets themselves are fixed):

* ``real``: MNIST's 60,000 training digits;
* ``real_plus_synthetic``: those and 60,000 generated digits (6,000 of each, seed 0);
* ``synthetic``: the 60,000 generated digits alone (the meter's CAS);
* ``synthetic_neatness_X`` (``--neatness X``): generated at another neatness, the sampling-time
  noise lever (a narrower noise distribution);
* ``real_8_epochs``: MNIST's 60,000 for 8 epochs, as many steps as ``real_plus_synthetic`` takes in 4,
  so a gain from adding synthetic digits is not just a gain from training longer.
* ``--larger K`` (K = 2 or 4): K × 60,000 generated digits, for 4 / K epochs (``synthetic_Kx_same_steps``:
  more distinct digits, as many steps as the CAS) and for 4 (``synthetic_Kx``), beside the CAS's 60,000
  for 4 K epochs (``synthetic_4K_epochs``): whether more of the generator's variety teaches more.

``--only NAME`` runs only the named sets, ``--name`` names the results file. Each run also lists the
MNIST test digits its classifier misreads most often (``"9→4": 7``): where a gap between sets lives.

Each run's accuracy and time are written as they finish (``benchmarks/results/train_on_synthetic.json``),
with every set's mean and spread. Run: ``python benchmarks/train_on_synthetic.py`` (``$DIGITGEN_DATA``:
a torchvision MNIST root; about 2.5 minutes per 60,000 digits on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

import torch
from common import mnist_root, report

from digitgen import load_generator
from digitgen.classifier import DigitClassifier, fit_classifier, read_images
from digitgen.data import DigitSet, load_mnist
from digitgen.evaluate import generated_set


def tested(classifier: DigitClassifier, test: DigitSet, top: int = 8) -> dict[str, object]:
    """The classifier's accuracy on ``test`` and its most frequent misreadings, as ``"true→read": count``."""
    read = read_images(test.images, classifier)[1].argmax(1)
    wrong = read != test.labels
    pairs = Counter(zip(test.labels[wrong].tolist(), read[wrong].tolist(), strict=True))
    accuracy = 1 - float(wrong.float().mean())
    return {"accuracy": round(accuracy, 4), "misread": {f"{t}→{r}": n for (t, r), n in pairs.most_common(top)}}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=3, help="training seeds per set")
    p.add_argument("--synthetic-seeds", type=int, default=2, help="training seeds for the synthetic-only sets")
    p.add_argument("--neatness", type=float, action="append", default=[], help="another sampling neatness to try")
    p.add_argument("--larger", type=int, action="append", default=[], help="K x 60,000 generated digits (2 or 4)")
    p.add_argument("--only", action="append", default=[], help="run only these sets")
    p.add_argument("--name", default="train_on_synthetic", help="the results file's name")
    a = p.parse_args()
    if any(k not in (2, 4) for k in a.larger):
        p.error("--larger takes 2 or 4 (so that 4 / K epochs is whole)")
    root, g = mnist_root(), load_generator()
    test, real = load_mnist(root, train=False), load_mnist(root, train=True)
    synthetic = generated_set(g, len(real) // 10, seed=0)
    both = DigitSet(torch.cat([real.images, synthetic.images]), torch.cat([real.labels, synthetic.labels]))
    sets = {  # name: (digits, training seeds, epochs)
        "real": (real, a.seeds, 4),
        "real_plus_synthetic": (both, a.seeds, 4),
        "synthetic": (synthetic, a.synthetic_seeds, 4),
        **{
            f"synthetic_neatness_{n}": (generated_set(g, len(real) // 10, 0, n), a.synthetic_seeds, 4)
            for n in a.neatness
        },
        "real_8_epochs": (real, a.seeds, 8),
    }
    for k in a.larger:
        larger = generated_set(g, k * len(real) // 10, seed=0)
        sets[f"synthetic_{k}x_same_steps"] = (larger, a.synthetic_seeds, 4 // k)
        sets[f"synthetic_{k}x"] = (larger, a.synthetic_seeds, 4)
        sets[f"synthetic_{4 * k}_epochs"] = (synthetic, a.synthetic_seeds, 4 * k)
    sets = {name: v for name, v in sets.items() if not a.only or name in a.only}
    runs: dict[str, list[dict[str, float]]] = {}
    for name, (train, seeds, epochs) in sets.items():
        for seed in range(seeds):
            start = time.perf_counter()
            figures = tested(fit_classifier(train, epochs, seed=seed), test)
            runs.setdefault(name, []).append(
                {"seed": seed, **figures, "seconds": round(time.perf_counter() - start, 1)}
            )
            summary = {
                k: {
                    "n": len(sets[k][0]),
                    "epochs": sets[k][2],
                    "mean": round(statistics.mean(r["accuracy"] for r in v), 4),
                    "spread": round(max(r["accuracy"] for r in v) - min(r["accuracy"] for r in v), 4),
                    "runs": v,
                }
                for k, v in runs.items()
            }
            report(a.name, {"sets": summary})


if __name__ == "__main__":
    main()

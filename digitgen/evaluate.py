"""The quality meter: the figures the digit classifier (``classifier.py``) reads off a generator.

All figures live in the classifier's 128-d penultimate feature space — this is *not*
Inception FID (Inception features know nothing useful about 28×28 digits), so compare
digitgen's FID only with figures from this same meter, e.g. its ``real_floor``:

* ``accuracy`` / ``per_digit_accuracy``: the classifier reads the image as the asked digit;
  ``confidence``: its mean softmax probability of the asked digit.
* ``fid``: Fréchet distance to MNIST test; ``cfid``: the mean of the ten per-digit distances.
* ``precision`` / ``recall``: k-NN manifold estimates (Kynkäänniemi et al., 2019, k=3):
  how many samples look real, and how much of the real data the samples cover.
* ``diversity``: mean pairwise feature distance within a digit; near 0 means mode collapse.
* ``real_floor``: the same figures for real MNIST *train* images against MNIST test.
* ``unmet``: which of the release targets (:data:`TARGETS`) the figures miss; empty when all are met.

* ``cas`` / ``cas_real`` (with ``--cas``): the train-on-synthetic score. The same classifier, trained
  on generated digits alone, then on as many real ones, tested on MNIST test (see :func:`cas`).
* ``shape_w1`` / ``shape_w1_real`` (with ``--shape``): shape fidelity. Per Morpho-MNIST attribute and
  digit, the Wasserstein-1 distance between the generated digits' measurements and MNIST test's, in
  the attribute's own units (pixels; radians for slant), beside the same for real train digits
  (see :func:`shape_fidelity`).

``python -m digitgen.evaluate --model PATH_OR_REPO --data DIR`` prints them as JSON;
``python -m digitgen.evaluate train-classifier --data DIR`` retrains the classifier.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import wasserstein_distance

from .classifier import (
    CLASSIFIER_DIR,
    DigitClassifier,
    classifier_accuracy,
    fit_classifier,
    read_images,
    train_classifier,
)
from .data import DigitSet, load_mnist
from .draw import DEFAULT_NEATNESS, noise, pixels
from .hub import load_generator
from .models import NUM_CLASSES, Generator
from .morphometrics import ATTRIBUTES, measure

KNN_K = 3
# What a release must reach, read at 1,000 samples per digit: FID as a multiple of the real floor's
TARGETS = {"accuracy": 0.99, "lowest_digit": 0.97, "fid_over_floor": 1.5, "precision": 0.8, "recall": 0.8}


# --- the figures ---------------------------------------------------------------------------


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (float64, via eigh)."""
    a, b = a.double(), b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    vals, vecs = torch.linalg.eigh(cov_a)
    sqrt_a = vecs @ torch.diag(vals.clamp(min=0).sqrt()) @ vecs.T
    cross = torch.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a).clamp(min=0).sqrt().sum()
    return float((mu_a - mu_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * cross)


def knn_radii(x: torch.Tensor, k: int = KNN_K, chunk: int = 2048) -> torch.Tensor:
    """Distance from each point to its k-th nearest neighbour in the same set."""
    return torch.cat([torch.cdist(c, x).kthvalue(k + 1, dim=1).values for c in x.split(chunk)])


def inside_balls(points: torch.Tensor, ref: torch.Tensor, radii: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """Whether each of ``points`` lies inside at least one ball (``ref[i]``, ``radii[i]``)."""
    return torch.cat([(torch.cdist(c, ref) <= radii).any(dim=1) for c in points.split(chunk)])


def coverage(points: torch.Tensor, ref: torch.Tensor, radii: torch.Tensor) -> float:
    """Fraction of ``points`` inside at least one ball (``ref[i]``, ``radii[i]``)."""
    return float(inside_balls(points, ref, radii).float().mean())


def precision_recall(real: torch.Tensor, fake: torch.Tensor) -> tuple[float, float]:
    """Kynkäänniemi et al. (2019): precision = fakes on the real manifold, recall = the reverse."""
    return coverage(fake, real, knn_radii(real)), coverage(real, fake, knn_radii(fake))


def diversity(feats: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean pairwise feature distance among images of the same digit, averaged over digits."""
    per_digit = []
    for d in range(NUM_CLASSES):
        f = feats[labels == d]
        n = len(f)
        per_digit.append(torch.pdist(f).mean() if n > 1 else torch.tensor(0.0))
    return float(torch.stack(per_digit).mean())


def figures(
    images: torch.Tensor, labels: torch.Tensor, reference: DigitSet, ref_feats: torch.Tensor | None = None
) -> dict[str, Any]:
    """Every figure for uint8 ``images`` that should show ``labels``, against ``reference`` (MNIST test).

    ``ref_feats``: the reference's classifier features, when the caller already has them.
    """
    feats, probs = read_images(images)
    if ref_feats is None:
        ref_feats, _ = read_images(reference.images)
    correct = (probs.argmax(1) == labels).float()
    cfids = [frechet_distance(feats[labels == d], ref_feats[reference.labels == d]) for d in range(NUM_CLASSES)]
    precision, recall = precision_recall(ref_feats, feats)
    return {
        "accuracy": float(correct.mean()),
        "per_digit_accuracy": [round(float(correct[labels == d].mean()), 4) for d in range(NUM_CLASSES)],
        "confidence": float(probs.gather(1, labels[:, None]).mean()),
        "fid": frechet_distance(feats, ref_feats),
        "cfid": sum(cfids) / NUM_CLASSES,
        "precision": precision,
        "recall": recall,
        "diversity": diversity(feats, labels),
    }


def unmet_targets(figs: dict[str, Any], floor_fid: float) -> list[str]:
    """The :data:`TARGETS` that ``figs`` misses, each as a short phrase; empty when it meets them all."""
    lowest = min(figs["per_digit_accuracy"])
    checks = [
        ("accuracy", figs["accuracy"], ">=", TARGETS["accuracy"]),
        ("lowest digit", lowest, ">=", TARGETS["lowest_digit"]),
        ("fid", figs["fid"], "<=", TARGETS["fid_over_floor"] * floor_fid),
        ("precision", figs["precision"], ">=", TARGETS["precision"]),
        ("recall", figs["recall"], ">=", TARGETS["recall"]),
    ]
    return [
        f"{name} {value:.4g} {'<' if sign == '>=' else '>'} {bar:.4g}"
        for name, value, sign, bar in checks
        if (value < bar if sign == ">=" else value > bar)
    ]


def generated_set(
    generator: Generator, n_per_digit: int, seed: int = 0, neatness: float = DEFAULT_NEATNESS
) -> DigitSet:
    """``n_per_digit`` samples of each digit, ordered 0…9, from a fixed seed."""
    labels = torch.arange(NUM_CLASSES).repeat_interleave(n_per_digit)
    z = noise(generator.z_dim, len(labels), seed, neatness)
    return DigitSet(torch.from_numpy(pixels(generator, labels, z)), labels)  # pixels() chunks large requests


def rounded(figs: dict[str, Any], places: int = 4) -> dict[str, Any]:
    return {k: round(v, places) if isinstance(v, float) else v for k, v in figs.items()}


class Meter:
    """The meter, set up once for many measurements (a training run's evaluations, a sweep).

    MNIST test is the reference; the floor is the same figures for ``n_per_digit`` real MNIST
    *train* digits of each digit, so a generator's figures and the targets' FID bar share one
    sample size.
    """

    def __init__(self, data_root: str | Path, n_per_digit: int = 1000):
        self.n_per_digit = n_per_digit
        self.reference = load_mnist(data_root, train=False)
        self.ref_feats, _ = read_images(self.reference.images)
        real = load_mnist(data_root, train=True).per_digit(n_per_digit)
        self.floor = rounded(figures(real.images, real.labels, self.reference, self.ref_feats))

    def measure(self, generator: Generator, seed: int = 0, neatness: float = DEFAULT_NEATNESS) -> dict[str, Any]:
        """The JSON-ready report: the figures, the real floor beside them, and the targets they miss."""
        fake = generated_set(generator, self.n_per_digit, seed, neatness)
        report: dict[str, Any] = {"n_per_digit": self.n_per_digit, "seed": seed, "neatness": neatness}
        report.update(rounded(figures(fake.images, fake.labels, self.reference, self.ref_feats)))
        report["real_floor"] = self.floor
        report["targets"] = TARGETS
        report["unmet"] = unmet_targets(report, self.floor["fid"])
        return report


def evaluate(
    generator: Generator,
    data_root: str | Path,
    n_per_digit: int = 1000,
    seed: int = 0,
    neatness: float = DEFAULT_NEATNESS,
    meter: Meter | None = None,
) -> dict[str, Any]:
    """The meter's report for one generator (:meth:`Meter.measure`), with the seconds it took.

    ``meter``: one already set up (a training run's), used when it reads ``n_per_digit`` samples too.
    """
    start = time.perf_counter()
    if meter is None or meter.n_per_digit != n_per_digit:
        meter = Meter(data_root, n_per_digit)
    report = meter.measure(generator, seed, neatness)
    report["seconds"] = round(time.perf_counter() - start, 2)
    return report


# --- training the classifier ---------------------------------------------------------------


def synthetic_classifier(
    generator: Generator, per_digit: int = 6000, seed: int = 0, neatness: float = DEFAULT_NEATNESS, epochs: int = 4
) -> DigitClassifier:
    """The meter's classifier trained on ``per_digit`` of the generator's digits of each digit alone: CAS's."""
    return fit_classifier(generated_set(generator, per_digit, seed, neatness), epochs, seed=seed)


def cas(
    generator: Generator,
    data_root: str | Path,
    n: int = 60_000,
    seed: int = 0,
    neatness: float = DEFAULT_NEATNESS,
    epochs: int = 4,
    with_real: bool = True,
) -> dict[str, Any]:
    """The train-on-synthetic score (Classification Accuracy Score, Ravuri & Vinyals 2019).

    The meter's classifier is trained, with the same recipe and seed, once on ``n`` generated digits
    (``n / 10`` of each) and once on up to ``n / 10`` real MNIST train digits of each digit; both are
    tested on MNIST test. ``cas`` near ``cas_real`` means a classifier learns from the generated
    digits as well as from real ones. ``with_real=False`` skips the real-digit training.
    """
    start = time.perf_counter()
    per_digit = max(1, n // NUM_CLASSES)
    test = load_mnist(data_root, train=False)
    real = load_mnist(data_root, train=True).per_digit(per_digit)
    report: dict[str, Any] = {"cas_n": per_digit * NUM_CLASSES, "cas_real_n": len(real), "cas_epochs": epochs}
    synthetic = synthetic_classifier(generator, per_digit, seed, neatness, epochs)
    report["cas"] = round(classifier_accuracy(synthetic, test), 4)
    if with_real:
        report["cas_real"] = round(classifier_accuracy(fit_classifier(real, epochs, seed=seed), test), 4)
    report["cas_seconds"] = round(time.perf_counter() - start, 1)
    return report


def misread_digits(real: DigitSet, generator: Generator, per_digit: int = 6000, epochs: int = 4) -> torch.Tensor:
    """Which of ``real``'s digits the CAS's classifier (taught by ``generator``'s digits alone) misreads:
    the styles its digits do not teach. A bool per digit; ``real`` is read on the CPU."""
    classifier = synthetic_classifier(generator, per_digit, epochs=epochs)
    return read_images(real.images.cpu(), classifier)[1].argmax(1) != real.labels.cpu()


def shape_distances(images: DigitSet, reference: DigitSet, reference_shape: dict[str, np.ndarray]) -> dict[str, Any]:
    """Per attribute, each digit's Wasserstein-1 distance from ``reference`` (whose measurements are
    ``reference_shape``), and their mean over the digits. Blank images (no measurement) are left out."""
    shape, labels, ref_labels = measure(images.images.numpy()), images.labels.numpy(), reference.labels.numpy()

    def w1(name: str, digit: int) -> float:
        ours, theirs = shape[name][labels == digit], reference_shape[name][ref_labels == digit]
        return round(float(wasserstein_distance(ours[~np.isnan(ours)], theirs[~np.isnan(theirs)])), 4)

    per_digit = {name: [w1(name, d) for d in range(NUM_CLASSES)] for name in ATTRIBUTES}
    return {"per_digit": per_digit, "mean": {name: round(float(np.mean(v)), 4) for name, v in per_digit.items()}}


def shape_fidelity(
    generator: Generator,
    data_root: str | Path,
    n_per_digit: int = 1000,
    seed: int = 0,
    neatness: float = DEFAULT_NEATNESS,
) -> dict[str, Any]:
    """Shape fidelity: does the generator write digits as thick, long, slanted, wide and tall as MNIST's?

    Morpho-MNIST's six attributes (:mod:`digitgen.morphometrics`) of ``n_per_digit`` generated digits
    of each digit against MNIST test, per digit, as Wasserstein-1 distances; beside them the same for
    ``n_per_digit`` real MNIST train digits of each digit (the floor: what sampling alone costs).
    About a minute on 2 CPU cores at 1,000 per digit (measuring 30,000 digits).
    """
    start = time.perf_counter()
    test = load_mnist(data_root, train=False)
    test_shape = measure(test.images.numpy())
    fake = shape_distances(generated_set(generator, n_per_digit, seed, neatness), test, test_shape)
    real = shape_distances(load_mnist(data_root, train=True).per_digit(n_per_digit), test, test_shape)
    return {
        "shape_w1": fake["per_digit"],
        "shape_w1_mean": fake["mean"],
        "shape_w1_real": real["per_digit"],
        "shape_w1_real_mean": real["mean"],
        "shape_seconds": round(time.perf_counter() - start, 1),
    }


# --- command line --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train-classifier"]:
        p = argparse.ArgumentParser(prog="digitgen evaluate train-classifier")
        p.add_argument("--data", required=True, help="torchvision MNIST root")
        p.add_argument("--out", default=str(CLASSIFIER_DIR))
        p.add_argument("--epochs", type=int, default=4)
        p.add_argument("--seed", type=int, default=0)
        a = p.parse_args(argv[1:])
        accuracy = train_classifier(a.data, a.out, a.epochs, seed=a.seed)
        print(json.dumps({"mnist_test_accuracy": round(accuracy, 4), "out": a.out}))
        return
    p = argparse.ArgumentParser(prog="digitgen evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="Hub repo id or local folder (default: $DIGITGEN_MODEL or shipped)")
    p.add_argument("--data", required=True, help="torchvision MNIST root")
    p.add_argument("--n-per-digit", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--neatness", type=float, default=DEFAULT_NEATNESS, help="0 (wild) … 1 (neat)")
    p.add_argument("--out", default=None, help="also write the JSON here")
    p.add_argument("--save-to", default=None, help="save the generator here with these figures in its config and card")
    p.add_argument("--cas", action="store_true", help="also the train-on-synthetic score (two classifier trainings)")
    p.add_argument("--cas-n", type=int, default=60_000, help="digits to train each CAS classifier on (default 60,000)")
    p.add_argument(
        "--shape", action="store_true", help="also shape fidelity: Morpho-MNIST's attributes against MNIST's"
    )
    a = p.parse_args(argv)
    generator = load_generator(a.model)
    report = {"model": generator.source, **evaluate(generator, a.data, a.n_per_digit, a.seed, a.neatness)}
    if a.cas:
        report.update(cas(generator, a.data, a.cas_n, a.seed, a.neatness))
    if a.shape:
        report.update(shape_fidelity(generator, a.data, a.n_per_digit, a.seed, a.neatness))
    text = json.dumps(report, indent=2)
    print(text)
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(text + "\n")
    if a.save_to:
        generator.info["metrics"] = {k: v for k, v in report.items() if k != "model"}
        generator.save_pretrained(a.save_to)


if __name__ == "__main__":
    main()

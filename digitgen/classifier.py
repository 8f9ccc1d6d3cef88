"""The meter's eyes: a small CNN that reads digits, whose 128-d penultimate layer is the meter's feature space.

Captions, the capture of a hand and the meter all read digits with it. The shipped one lives in
``weights/classifier``; ``python -m digitgen.evaluate train-classifier`` trains it again, and the
train-on-synthetic score trains it afresh on generated digits (:func:`fit_classifier`).
"""

from __future__ import annotations

import functools
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import ModelCard, PyTorchModelHubMixin
from torch import nn
from tqdm.auto import tqdm

from .card import classifier_card_text
from .data import DigitSet, load_mnist, to_unit_range
from .models import NUM_CLASSES, load_safetensors

CLASSIFIER_DIR = Path(__file__).parent / "weights" / "classifier"
FEATURE_DIM = 128


class DigitClassifier(nn.Module, PyTorchModelHubMixin, library_name="digitgen", license="mit", tags=["mnist"]):
    """A small CNN (≈99.4 % on MNIST test) whose 128-d penultimate layer is the meter's feature space."""

    def __init__(self, width: int = 32, info: dict | None = None):
        super().__init__()
        self.info = dict(info or {})
        c = width

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True), nn.MaxPool2d(2)]

        self.features = nn.Sequential(
            *block(1, c),  # 28 -> 14
            *block(c, 2 * c),  # 14 -> 7
            *block(2 * c, 4 * c),  # 7 -> 3
            nn.Flatten(),
            nn.Linear(4 * c * 9, FEATURE_DIM),
            nn.BatchNorm1d(FEATURE_DIM),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, NUM_CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    def generate_model_card(self, *args: Any, **kwargs: Any) -> ModelCard:  # type: ignore[override]
        return ModelCard(classifier_card_text(self.info))


@functools.cache
def load_classifier(folder: str | Path = CLASSIFIER_DIR) -> DigitClassifier:
    """The shipped classifier (or one from ``folder``), strict and in eval mode."""
    model = DigitClassifier(**json.loads((Path(folder) / "config.json").read_text()))
    load_safetensors(model, Path(folder) / "model.safetensors")
    return model.eval()


@torch.inference_mode()
def read_images(images: torch.Tensor, classifier: DigitClassifier | None = None, batch: int = 1000):
    """Classifier features ``(N, 128)`` and softmax probabilities ``(N, 10)`` for uint8 images."""
    classifier = classifier or load_classifier()
    feats, probs = [], []
    for chunk in images.split(batch):
        f = classifier.features(to_unit_range(chunk))
        feats.append(f)
        probs.append(classifier.head(f).softmax(dim=1))
    return torch.cat(feats), torch.cat(probs)


def read_digits(images: np.ndarray, classifier: DigitClassifier | None = None) -> list[tuple[int, float]]:
    """What the classifier (the shipped one unless given) reads in each uint8 ``(n, 28, 28)`` image, and its
    probability."""
    _, probs = read_images(torch.from_numpy(np.ascontiguousarray(images)), classifier)
    p, d = probs.max(dim=1)
    return list(zip(d.tolist(), p.tolist(), strict=True))


@torch.inference_mode()
def digit_margin(images: np.ndarray, digit: int) -> np.ndarray:
    """How surely the classifier reads ``digit`` in each uint8 ``(n, 28, 28)`` image: the digit's logit minus
    the log-sum-exp of the other nine (its log-odds; above 0 it is read as ``digit``). ``(n,)``.

    Unlike a probability it does not saturate at 1, so a linear fit on the noise can hold it."""
    classifier = load_classifier()
    logits = classifier(to_unit_range(torch.from_numpy(np.ascontiguousarray(images))))
    others = torch.cat([logits[:, :digit], logits[:, digit + 1 :]], dim=1)
    return (logits[:, digit] - others.logsumexp(dim=1)).numpy()


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Small random rotations, scalings and shifts, so the meter reads slightly off-centre digits."""
    b = len(x)
    angle = (torch.rand(b, generator=gen) - 0.5) * math.radians(20)
    scale = 1 + (torch.rand(b, generator=gen) - 0.5) * 0.2
    shift = (torch.rand(b, 2, generator=gen) - 0.5) * (4 / 14)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1  # pad with background


@torch.inference_mode()
def classifier_accuracy(classifier: DigitClassifier, test: DigitSet) -> float:
    _, probs = read_images(test.images, classifier.eval())
    return float((probs.argmax(1) == test.labels).float().mean())


def fit_classifier(train: DigitSet, epochs: int = 4, batch: int = 128, seed: int = 0) -> DigitClassifier:
    """The meter's classifier trained on ``train`` with the meter's recipe (AdamW, one-cycle, augmentation)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = DigitClassifier()
    steps = epochs * (len(train) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(train), generator=gen)
        bar = tqdm(range(len(train) // batch), desc=f"classifier epoch {epoch + 1}/{epochs}")
        for i in bar:
            x, y = train.batch(perm[i * batch : (i + 1) * batch])
            loss = F.cross_entropy(model(augment(x, gen)), y, label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if i % 50 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}")
    return model.eval()


def train_classifier(data_root: str | Path, out: str | Path, epochs: int = 4, batch: int = 128, seed: int = 0) -> float:
    """Train the meter's classifier on MNIST train, save it to ``out``; returns MNIST test accuracy."""
    start = time.perf_counter()
    model = fit_classifier(load_mnist(data_root, train=True), epochs, batch, seed)
    accuracy = classifier_accuracy(model, load_mnist(data_root, train=False))
    model.info = {
        "mnist_test_accuracy": round(accuracy, 4),
        "command": f"python -m digitgen.evaluate train-classifier --data DIR --epochs {epochs} --seed {seed}"
        + ("" if Path(out).resolve() == CLASSIFIER_DIR.resolve() else f" --out {out}"),
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    model.save_pretrained(out, config={"width": 32, "info": model.info})
    return accuracy

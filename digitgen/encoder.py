"""The generator run backwards in one pass: a drawing and its digit → the noise vector that writes it.

Capturing a hand by search alone (``capture``) starts from random vectors and needs hundreds of
generator passes. A small encoder, trained on the generator's own digits (nothing but the
generator is needed), guesses the vector in one pass; ``capture`` then only refines the guess.

An encoder is tied to the weights it was trained on: its config carries their fingerprint, and
:func:`load_encoder` ignores an encoder made for other weights. It lives in the generator's
folder (and Hub repository) as ``encoder/model.safetensors`` with ``encoder/config.json``.
``python -m digitgen.encoder --model FOLDER`` trains one for the generator in FOLDER.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .hub import SHIPPED, Companion, load_companion, load_generator, looks_local
from .layout import NUM_CLASSES
from .models import Generator
from .style import BOUND, fingerprint

FOLDER = "encoder"  # inside the generator's folder or Hub repository


class StyleEncoder(Companion):
    """``E(image, digit) -> z``: a small CNN over the image, one linear head per digit."""

    def __init__(self, z_dim: int = 64, width: int = 32, generator: str = ""):
        super().__init__()
        self.z_dim, self.width = z_dim, width
        self.generator = generator  # the fingerprint (hex) of the weights it inverts
        c = width
        self.features = nn.Sequential(
            nn.Conv2d(1, c, 3, 1, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1),  # 28 -> 14
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 2 * c, 4, 2, 1),  # 14 -> 7
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * c * 7 * 7, 8 * c),
            nn.LeakyReLU(0.2),
        )
        self.heads = nn.Linear(8 * c, NUM_CLASSES * z_dim)

    @property
    def config(self) -> dict[str, object]:
        return {"z_dim": self.z_dim, "width": self.width, "generator": self.generator}

    def forward(self, images: torch.Tensor, digits: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1], ``(B, 1, 28, 28)``, and their digits → noise vectors ``(B, z_dim)``."""
        per_digit = self.heads(self.features(images)).view(-1, NUM_CLASSES, self.z_dim)
        return per_digit[torch.arange(len(digits)), digits]


@functools.cache
def cached_encoder(source: str, weights_fingerprint: str) -> StyleEncoder | None:
    return load_companion(source, FOLDER, StyleEncoder, weights_fingerprint, "capture searches instead")


def load_encoder(generator: Generator) -> StyleEncoder | None:
    """The encoder made for ``generator``'s weights, from where they came; None if there is none for them.

    A generator knows where it came from when :func:`digitgen.load_generator` loaded it; one built or
    trained in this process has no encoder until :func:`train_encoder` makes one.
    """
    source = getattr(generator, "source", None)
    return None if source is None else cached_encoder(str(source), fingerprint(generator).hex())


def train_encoder(
    generator: Generator,
    steps: int = 3000,
    batch: int = 256,
    lr: float = 2e-3,
    z_weight: float = 0.1,
    seed: int = 0,
    log_every: int = 250,
) -> StyleEncoder:
    """An encoder for ``generator``, trained on its own digits: noise drawn like a seed's at any neatness.

    The loss is the vector's error plus the pixel error of the generator's image of the guess, so a
    guess that writes the same digit from another vector is not punished as much as one that does not.
    """
    generator = generator.eval().requires_grad_(False)
    device = next(generator.parameters()).device  # noise is drawn on the CPU, then moved, as everywhere
    encoder = StyleEncoder(generator.z_dim, generator=fingerprint(generator).hex()).to(device)
    stream = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(encoder.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.1)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        z = torch.randn(batch, generator.z_dim, generator=stream).clamp(-BOUND, BOUND).to(device)
        digits = torch.randint(0, NUM_CLASSES, (batch,), generator=stream).to(device)
        with torch.no_grad():
            images = generator(z, digits)
        guess = encoder(images, digits)
        loss = z_weight * F.mse_loss(guess, z) + F.mse_loss(generator(guess, digits), images)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
        if log_every and (step % log_every == 0 or step == steps):
            print(f"step {step}/{steps}: loss {loss.item():.4f} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return encoder.cpu().eval().requires_grad_(False)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="digitgen encoder", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=str(SHIPPED), help="the generator's folder; the encoder is written inside it")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if not looks_local(a.model):
        p.error("--model must be a local folder (download a Hub model with save_pretrained first)")
    generator = load_generator(a.model)
    encoder = train_encoder(generator, a.steps, a.batch, seed=a.seed)
    encoder.save(Path(a.model) / FOLDER)
    print(json.dumps({"encoder": str(Path(a.model) / FOLDER), "for_weights": encoder.generator}))


if __name__ == "__main__":
    main()

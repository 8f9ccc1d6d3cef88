"""Turning (digit, seed) into images: input checks, seeded noise, uint8 output.

A seed names a noise tensor drawn on the CPU with ``torch.Generator().manual_seed(seed)``, so
the same (digit, seed, weights) gives the same images on every machine and device.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import torch

from .images import grid, to_uint8
from .models import NUM_CLASSES, Generator

MAX_SEED = 2**31 - 1
MAX_N = 100  # images per call; more is a batch job, not a request


def check_int(value: object, name: str, lo: int, hi: int) -> int:
    """``value`` as an int in ``[lo, hi]``, or a ValueError saying what is allowed.

    Whole floats (``3.0``, as JSON clients send them) pass; bools, NaN and ``3.5`` do not.
    """
    ok = isinstance(value, Real) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and float(value).is_integer()  # type: ignore[arg-type]
    if not ok or not lo <= int(value) <= hi:  # type: ignore[call-overload]
        raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def check_digit(digit: object) -> int:
    return check_int(digit, "digit", 0, NUM_CLASSES - 1)


def check_seed(seed: object) -> int:
    return check_int(seed, "seed", 0, MAX_SEED)


def noise(z_dim: int, n: int, seed: int) -> torch.Tensor:
    """``n`` noise vectors named by ``seed``, always drawn on the CPU."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


@torch.inference_mode()
def sample(generator: Generator, digits: torch.Tensor, z: torch.Tensor) -> np.ndarray:
    """Images for given labels and noise, uint8 ``(n, 28, 28)``; no input checks (library use).

    Always runs the generator in eval mode, so an image never depends on the rest of its batch.
    """
    was_training = generator.training
    generator.eval()
    try:
        device = next(generator.parameters()).device
        return to_uint8(generator(z.to(device), digits.to(device)))
    finally:
        generator.train(was_training)


def generate(digit: int, seed: int, n: int = 5, *, generator: Generator | None = None) -> np.ndarray:
    """``n`` handwritten images of ``digit`` (0–9) for ``seed`` (0 … 2**31−1): uint8 ``(n, 28, 28)``.

    ``generator`` defaults to :func:`digitgen.load_generator`'s model (``DIGITGEN_MODEL`` or the
    shipped weights).
    """
    digit, seed, n = check_digit(digit), check_seed(seed), check_int(n, "n", 1, MAX_N)
    if generator is None:
        from .hub import default_generator

        generator = default_generator()
    return sample(generator, torch.full((n,), digit), noise(generator.z_dim, n, seed))


def sample_grid(generator: Generator, per_digit: int = 10, seed: int = 0) -> np.ndarray:
    """One row per digit 0–9, ``per_digit`` samples each, as a single uint8 image."""
    digits = torch.arange(NUM_CLASSES).repeat_interleave(per_digit)
    return grid(sample(generator, digits, noise(generator.z_dim, len(digits), seed)), cols=per_digit)

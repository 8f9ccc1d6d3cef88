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
from .malloc import keep_freed_memory
from .models import NUM_CLASSES, Generator

MAX_SEED = 2**31 - 1
MAX_N = 100  # images per call; more is a batch job, not a request
MAX_FRAMES = 64
DEFAULT_NEATNESS = 0.0  # the meter's best FID for the shipped weights (benchmarks/neatness.py)


def is_number(value: object) -> bool:
    """A finite real number; bools (which Python counts as ints) and NaN are not."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)  # type: ignore[arg-type]


def check_int(value: object, name: str, lo: int, hi: int) -> int:
    """``value`` as an int in ``[lo, hi]``, or a ValueError saying what is allowed.

    Whole floats (``3.0``, as JSON clients send them) pass; bools, NaN and ``3.5`` do not.
    """
    ok = is_number(value) and float(value).is_integer()  # type: ignore[arg-type]
    if not ok or not lo <= int(value) <= hi:  # type: ignore[call-overload]
        raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def check_digit(digit: object) -> int:
    return check_int(digit, "digit", 0, NUM_CLASSES - 1)


def check_seed(seed: object) -> int:
    return check_int(seed, "seed", 0, MAX_SEED)


def check_neatness(neatness: object) -> float:
    if not (is_number(neatness) and 0 <= neatness <= 1):  # type: ignore[operator]
        raise ValueError(f"neatness must be a number from 0 (wild) to 1 (neat), got {neatness!r}")
    return float(neatness)  # type: ignore[arg-type]


def truncation(neatness: float) -> float:
    """The noise bound for a neatness: 0 → ±4σ (practically untouched), 1 → ±0.5σ (typical digits)."""
    return 4.0 - 3.5 * neatness


def noise(z_dim: int, n: int, seed: int, neatness: float = DEFAULT_NEATNESS) -> torch.Tensor:
    """``n`` noise vectors named by ``seed``, always drawn on the CPU.

    Components are drawn from a normal truncated at ``±truncation(neatness)`` (the "truncation
    trick"): neater digits near 1, wilder ones near 0.
    """
    t = truncation(neatness)
    z = torch.empty(n, z_dim)
    return torch.nn.init.trunc_normal_(z, 0.0, 1.0, -t, t, generator=torch.Generator().manual_seed(seed))


CHUNK = 128  # images per forward pass: big enough to fill the cores, small enough to stay in cache


@torch.inference_mode()
def sample(generator: Generator, digits: torch.Tensor, z: torch.Tensor) -> np.ndarray:
    """Images for given labels and noise, uint8 ``(n, 28, 28)``; no input checks (library use).

    Always runs the generator in eval mode, so an image never depends on the rest of its batch;
    large requests run in chunks of 128 (10,000 images on 2 CPU cores: 1.7 s, 2.1 s in chunks of 512).
    """
    keep_freed_memory()  # the chunks' activations are reused, not faulted in afresh each pass
    was_training = generator.training
    generator.eval()
    try:
        device = next(generator.parameters()).device
        chunks = zip(z.split(CHUNK), digits.split(CHUNK), strict=True)
        return np.concatenate([to_uint8(generator(zz.to(device), y.to(device))) for zz, y in chunks])
    finally:
        generator.train(was_training)


def resolve(generator: Generator | None) -> Generator:
    """The given generator, or :func:`digitgen.load_generator`'s (``DIGITGEN_MODEL`` or shipped)."""
    if generator is not None:
        return generator
    from .hub import default_generator

    return default_generator()


def generate(
    digit: int, seed: int, n: int = 5, *, neatness: float = DEFAULT_NEATNESS, generator: Generator | None = None
) -> np.ndarray:
    """``n`` handwritten images of ``digit`` (0–9) for ``seed`` (0 … 2**31−1): uint8 ``(n, 28, 28)``.

    ``neatness`` runs from 0 (wild) to 1 (neat); see :func:`noise`.
    """
    digit, seed, n = check_digit(digit), check_seed(seed), check_int(n, "n", 1, MAX_N)
    g = resolve(generator)
    return sample(g, torch.full((n,), digit), noise(g.z_dim, n, seed, check_neatness(neatness)))


def style_row(seed: int, *, neatness: float = DEFAULT_NEATNESS, generator: Generator | None = None) -> np.ndarray:
    """The digits 0–9 written with one noise vector — one "hand" — uint8 ``(10, 28, 28)``."""
    g = resolve(generator)
    z = noise(g.z_dim, 1, check_seed(seed), check_neatness(neatness)).expand(NUM_CLASSES, -1)
    return sample(g, torch.arange(NUM_CLASSES), z)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between two noise vectors (stays at a typical noise norm)."""
    omega = torch.arccos((a / a.norm() * b / b.norm()).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    t = t[:, None]
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def morph(
    digit: int,
    seed_from: int,
    seed_to: int,
    frames: int = 10,
    *,
    neatness: float = DEFAULT_NEATNESS,
    generator: Generator | None = None,
) -> np.ndarray:
    """``frames`` images of ``digit`` morphing from ``seed_from``'s style to ``seed_to``'s: uint8."""
    digit, frames = check_digit(digit), check_int(frames, "frames", 2, MAX_FRAMES)
    neatness, g = check_neatness(neatness), resolve(generator)
    a = noise(g.z_dim, 1, check_seed(seed_from), neatness)[0]
    b = noise(g.z_dim, 1, check_seed(seed_to), neatness)[0]
    return sample(g, torch.full((frames,), digit), slerp(a, b, torch.linspace(0, 1, frames)))


def sample_grid(generator: Generator, per_digit: int = 10, seed: int = 0) -> np.ndarray:
    """One row per digit 0–9, ``per_digit`` samples each, as a single uint8 image."""
    digits = torch.arange(NUM_CLASSES).repeat_interleave(per_digit)
    return grid(sample(generator, digits, noise(generator.z_dim, len(digits), seed)), cols=per_digit)

"""Writing a whole number by hand: one generated digit per character, placed with jitter.

Each character is its own generated digit (its own noise), scaled, lifted or dropped a little
from the baseline and spaced like handwriting; spaces leave a gap. Deterministic per seed.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from .draw import DEFAULT_NEATNESS
from .models import Generator
from .sample import SeedOrStyle, check_int, check_neatness, hand_noise, resolve, write
from .shape import Shape

MAX_CHARS = 32
MAX_VARIATIONS = 10
HEIGHT = 36  # a 28-pixel digit plus room to wander off the baseline
MARGIN = 4
INK = 40  # pixel value that counts as ink when trimming a glyph's sides


def check_number(text: object) -> str:
    """Digits and spaces only, 1–32 characters, at least one digit."""
    ok = isinstance(text, str) and 0 < len(text) <= MAX_CHARS and set(text) <= set("0123456789 ") and text.strip()
    if not ok:
        shown = text if not isinstance(text, str) or len(text) <= 40 else text[:40] + "…"
        raise ValueError(f"type up to {MAX_CHARS} digits (spaces allowed as gaps), e.g. 2026; got {shown!r}")
    return text  # type: ignore[return-value]


def place(text: str, glyphs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lay out one line: ``glyphs`` holds a 28×28 image per digit of ``text``, in order."""
    canvas = np.zeros((HEIGHT, MARGIN * 2 + 30 * len(text)), dtype=np.uint8)
    x, k = MARGIN, 0
    for ch in text:
        if ch == " ":
            x += int(rng.integers(10, 15))
            continue
        size = int(round(28 * rng.uniform(0.85, 1.05)))
        glyph = np.asarray(Image.fromarray(glyphs[k]).resize((size, size), Image.Resampling.BILINEAR))
        k += 1
        cols = np.flatnonzero(glyph.max(axis=0) > INK)
        left, right = (cols[0], cols[-1] + 1) if len(cols) else (size // 2 - 4, size // 2 + 4)
        glyph = glyph[:, left:right]
        top = (HEIGHT - size) // 2 + int(rng.integers(-2, 3))
        region = canvas[top : top + size, x : x + glyph.shape[1]]
        np.maximum(region, glyph, out=region)
        x += glyph.shape[1] + int(rng.integers(1, 4))
    return canvas[:, : x + MARGIN]


def write_number(
    text: str,
    seed: SeedOrStyle,
    n: int = 5,
    *,
    neatness: float = DEFAULT_NEATNESS,
    thickness: float = 0.0,
    slant: float = 0.0,
    width: float = 0.0,
    generator: Generator | None = None,
) -> list[np.ndarray]:
    """``n`` handwritten renderings of ``text`` (e.g. ``"2026"``): uint8 images 36 px high.

    With a style (or style code) in place of the seed, every digit is written in that one hand.
    """
    text = check_number(text)
    n, neatness, g = check_int(n, "n", 1, MAX_VARIATIONS), check_neatness(neatness), resolve(generator)
    digits, shape = torch.tensor([int(c) for c in text if c != " "]), Shape(thickness, slant, width)
    glyphs = write(g, digits.repeat(n), hand_noise(g, n * len(digits), seed, neatness), shape)
    glyphs = glyphs.reshape(n, len(digits), 28, 28)
    rng = np.random.default_rng(seed if isinstance(seed, int) else 0)  # the placement's jitter
    return [place(text, glyphs[i], rng) for i in range(n)]

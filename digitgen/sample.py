"""What users ask for: (digit, seed) to images, one hand's ten digits, morphs; every input checked.

Wherever a seed is taken, a hand captured from a drawing works too: a :class:`~digitgen.style.Style`
or its style code, checked against the weights that write. Wherever a hand writes, its strokes'
``thickness``, ``slant`` and ``width`` can be dialled from −1 to 1 (:mod:`digitgen.shape`; 0, the
default, leaves the hand as it is).

The drawing itself (seeded noise, eval-mode chunks) is ``draw``'s; this room checks what a caller
passes, picks the generator (the given one, else ``$DIGITGEN_MODEL``'s, else the shipped one) and
asks ``draw`` for pixels. Bad input raises ValueError with a sentence saying what is allowed.
"""

from __future__ import annotations

import numpy as np
import torch

from .draw import DEFAULT_NEATNESS, noise
from .hub import default_generator
from .models import NUM_CLASSES, Generator
from .shape import Shape, is_number, shaped_pixels
from .style import Style

MAX_SEED = 2**31 - 1
MAX_N = 100  # images per call; more is a batch job, not a request
MAX_FRAMES = 64


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


SeedOrStyle = int | Style | str  # a seed, a captured hand, or its style code


def hand_noise(g: Generator, n: int, hand: SeedOrStyle, neatness: float = DEFAULT_NEATNESS) -> torch.Tensor:
    """``n`` noise vectors for a hand: drawn from a seed, or ``n`` copies of a style's vector.

    A style is the exact vector of a drawing, so neatness (which bounds drawn noise) leaves it as it is.
    """
    if isinstance(hand, str):
        hand = Style.from_code(hand, g)
    if isinstance(hand, Style):
        return Style.from_code(hand.code, g).z.expand(n, -1)  # the same check a pasted code gets
    return noise(g.z_dim, n, check_seed(hand), neatness)


def check_neatness(neatness: object) -> float:
    if not (is_number(neatness) and 0 <= neatness <= 1):  # type: ignore[operator]
        raise ValueError(f"neatness must be a number from 0 (wild) to 1 (neat), got {neatness!r}")
    return float(neatness)  # type: ignore[arg-type]


def resolve(generator: Generator | None) -> Generator:
    """The given generator, or :func:`digitgen.load_generator`'s (``DIGITGEN_MODEL`` or shipped)."""
    return default_generator() if generator is None else generator


def write(g: Generator, digits: torch.Tensor, z: torch.Tensor, shape: Shape) -> np.ndarray:
    """The hand ``z`` writing ``digits``, reshaped as ``shape`` asks (and still readable: see ``shaped_pixels``)."""
    return shaped_pixels(g, digits, z, shape)[0]


def generate(
    digit: int,
    seed: SeedOrStyle,
    n: int = 5,
    *,
    neatness: float = DEFAULT_NEATNESS,
    thickness: float = 0.0,
    slant: float = 0.0,
    width: float = 0.0,
    generator: Generator | None = None,
) -> np.ndarray:
    """``n`` handwritten images of ``digit`` (0–9) for ``seed`` (0 … 2**31−1): uint8 ``(n, 28, 28)``.

    With a style (or style code) in place of the seed, each of the ``n`` images is that hand's digit.

    ``neatness`` runs from 0 (wild) to 1 (neat); see :func:`noise`. ``thickness``, ``slant`` and
    ``width`` run from −1 (thin, leaning left, narrow) to 1 (thick, leaning right, wide).
    """
    digit, n, g, shape = (
        check_digit(digit),
        check_int(n, "n", 1, MAX_N),
        resolve(generator),
        Shape(thickness, slant, width),
    )
    return write(g, torch.full((n,), digit), hand_noise(g, n, seed, check_neatness(neatness)), shape)


def style_row(
    seed: SeedOrStyle,
    *,
    neatness: float = DEFAULT_NEATNESS,
    thickness: float = 0.0,
    slant: float = 0.0,
    width: float = 0.0,
    generator: Generator | None = None,
) -> np.ndarray:
    """The digits 0–9 written with one noise vector — one "hand" — uint8 ``(10, 28, 28)``."""
    g, shape = resolve(generator), Shape(thickness, slant, width)
    z = hand_noise(g, 1, seed, check_neatness(neatness)).expand(NUM_CLASSES, -1)
    return write(g, torch.arange(NUM_CLASSES), z, shape)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between two noise vectors (stays at a typical noise norm)."""
    omega = torch.arccos((a / a.norm() * b / b.norm()).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    t = t[:, None]
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def morph(
    digit: int,
    seed_from: SeedOrStyle,
    seed_to: SeedOrStyle,
    frames: int = 10,
    *,
    neatness: float = DEFAULT_NEATNESS,
    thickness: float = 0.0,
    slant: float = 0.0,
    width: float = 0.0,
    generator: Generator | None = None,
) -> np.ndarray:
    """``frames`` images of ``digit`` morphing from ``seed_from``'s style to ``seed_to``'s: uint8."""
    digit, frames = check_digit(digit), check_int(frames, "frames", 2, MAX_FRAMES)
    neatness, g, shape = check_neatness(neatness), resolve(generator), Shape(thickness, slant, width)
    a, b = hand_noise(g, 1, seed_from, neatness)[0], hand_noise(g, 1, seed_to, neatness)[0]
    return write(g, torch.full((frames,), digit), slerp(a, b, torch.linspace(0, 1, frames)), shape)


def digit_blend(digit_from: int, digit_to: int, frames: int) -> torch.Tensor:
    """Weights over the ten digits, ``(frames, 10)``, sliding evenly from ``digit_from`` to ``digit_to``."""
    t = torch.linspace(0, 1, frames)[:, None]
    ends = torch.eye(NUM_CLASSES)[[digit_from, digit_to]]
    return (1 - t) * ends[0] + t * ends[1]


def morph_digits(
    digit_from: int,
    digit_to: int,
    seed: SeedOrStyle,
    frames: int = 10,
    *,
    neatness: float = DEFAULT_NEATNESS,
    thickness: float = 0.0,
    slant: float = 0.0,
    width: float = 0.0,
    generator: Generator | None = None,
) -> np.ndarray:
    """``frames`` images of one hand (``seed``'s, as :func:`style_row` writes it, or a style's) turning
    from ``digit_from`` into ``digit_to``: uint8. The noise stays; the digit the generator is asked for
    slides from one to the other, so the first and last frames are that hand's two digits exactly.
    """
    digit_from, digit_to = check_digit(digit_from), check_digit(digit_to)
    frames, g, shape = check_int(frames, "frames", 2, MAX_FRAMES), resolve(generator), Shape(thickness, slant, width)
    z = hand_noise(g, 1, seed, check_neatness(neatness)).expand(frames, -1)
    return write(g, digit_blend(digit_from, digit_to, frames), z, shape)

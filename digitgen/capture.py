"""Your own hand: a drawing of one digit → MNIST's format → the digit read → the hand that wrote it.

1. :func:`normalise` makes any image of one digit the way MNIST made its digits: the ink found
   whatever the colours (dark on light, light on dark, strokes on a transparent layer), cropped to
   its box, scaled with anti-aliasing to fit 20 × 20 keeping its aspect ratio, and placed by its
   centre of mass in the middle of 28 × 28. What is not one digit on a page (not an image, too
   large, animated, cut short, noise, a photo, several digits) is refused with one sentence.
2. The meter's classifier reads it (:func:`read`); the caller may say otherwise.
3. :func:`capture` inverts the generator: it looks for the noise vector whose image of that digit
   matches the drawing pixel for pixel, with a small pull that keeps the vector typical. The
   weights' encoder guesses it in one pass and Gauss–Newton refines the guess (:func:`gauss_newton`);
   without an encoder, Adam searches from eight seeded starts (:func:`fit`). Of the candidates, the
   one whose ten digits read right wins, so the same hand writes the other nine cleanly. The vector
   is a :class:`~digitgen.style.Style`, shareable as a style code. The same drawing gives the same code.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .classifier import read_digits, read_images
from .data import to_unit_range
from .draw import pixels
from .encoder import load_encoder
from .layout import IMAGE_SIZE, NUM_CLASSES, centre, centring_shift, shift
from .models import Generator
from .sample import check_digit, resolve
from .style import Style

BOX = 20  # MNIST scaled each digit to fit 20 x 20, then centred it in 28 x 28
MAX_SIDE = 4096  # pixels: a bigger upload is refused, not decoded
MIN_CONTRAST = 0.1  # ink this faint (of full black-on-white) counts as an empty canvas
SEVERAL_SHARE = 0.15  # two separate columns of ink, each with this share of it, are two digits
# What is not one handwritten digit (docs/experiments.md, "Uploads that are not a digit"):
BUSY_EDGE = 0.1  # ink on this share of the picture's edge: not a page (MNIST's digits: at most 0.04)
INKED_MAX = 0.45  # a normalised drawing this much inked is noise (MNIST's: at most about 0.35)
SEARCH_TOO_DB = 18.0  # an encoder's capture matching worse than this (about 1 drawing in 20), or writing one
# of the ten digits illegibly (about 1 in 40), is searched for as well, and the better hand kept
MATCH_MIN_DB = 14.0  # the closest digit the generator writes matches worse: not a digit (1 MNIST digit in 1,000)
NOT_A_DIGIT = "that does not look like one handwritten digit ({why}): send one digit, dark on light or light on dark"


@dataclass(frozen=True)
class Capture:
    """A captured hand: its style, the digit it was fitted to, and how well it matches the drawing."""

    style: Style
    digit: int
    confidence: float  # the classifier's probability of ``digit`` in the drawing
    drawing: np.ndarray  # uint8 (28, 28): the drawing, normalised like MNIST
    reconstruction: np.ndarray  # uint8 (28, 28): the style's own image of ``digit``
    psnr: float  # dB, reconstruction against drawing

    @property
    def code(self) -> str:
        return self.style.code


def open_image(source: str | Path | bytes | Image.Image | np.ndarray) -> Image.Image:
    """A still image from a path, file bytes, PIL image or array, decoded whole; ValueError with one
    sentence naming what is wrong with it: not an image, too large, animated, damaged or cut short.

    The size is checked before the pixels are decoded, so an enormous upload costs nothing.
    """
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        image = Image.fromarray(source)
    else:
        try:
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
        except FileNotFoundError:  # e.g. an upload the server has since cleared away
            raise ValueError("the image file is not there (any more): send the image again") from None
        except Image.DecompressionBombError:
            raise ValueError(
                f"that image is too large (over {2 * Image.MAX_IMAGE_PIXELS:,} pixels); send one up to {MAX_SIDE} "
                "on a side"
            ) from None
        except (UnidentifiedImageError, OSError) as e:
            raise ValueError(f"that is not an image file (PNG, JPEG, WebP, …): {type(e).__name__}") from None
    if max(image.size) > MAX_SIDE:
        raise ValueError(f"that image is {image.width} × {image.height} pixels; send one up to {MAX_SIDE} on a side")
    try:
        frames = getattr(image, "n_frames", 1)
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValueError("that image file is damaged or cut short: save it again and send the whole file") from None
    if frames > 1:
        raise ValueError(f"that is an animated image ({frames} frames): send a still picture of one digit")
    return image


def strokes(layers: list[np.ndarray]) -> np.ndarray:
    """Drawing layers (RGBA arrays, strokes on transparency, as a sketchpad gives them) as one RGBA image.

    The strokes are read from the layers' alpha, never from colours: a sketchpad's empty canvas is
    white in a light theme and dark grey in a dark one.
    """
    if not layers:
        raise ValueError("the drawing is empty: draw one digit, large, in the middle")
    image = np.zeros((*layers[0].shape[:2], 4), dtype=np.uint8)
    image[..., 3] = np.max([layer[..., 3] for layer in layers], axis=0)
    return image


def ink_of(image: Image.Image) -> np.ndarray:
    """How much ink each pixel holds, 0 … 1, whatever the colours.

    Strokes on a transparent layer are its alpha. Otherwise the background is the colour of the
    border (light or dark), and ink is how far each pixel's brightness is from it.
    """
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255
    alpha = rgba[..., 3]
    border = np.concatenate([alpha[0], alpha[-1], alpha[:, 0], alpha[:, -1]])
    if np.median(border) < 0.5:  # a transparent background: what is opaque is ink
        return alpha
    brightness = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    brightness = brightness * alpha + (1 - alpha)  # see-through pixels show a white page
    edge = np.concatenate([brightness[0], brightness[-1], brightness[:, 0], brightness[:, -1]])
    paper = float(np.median(edge))
    return np.clip(paper - brightness if paper >= 0.5 else brightness - paper, 0, 1)


def check_one_digit(ink: np.ndarray) -> None:
    """ValueError if the ink is not one digit on a plain page: a busy picture, or digits side by side."""
    edge = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    if (edge > 0.2).mean() > BUSY_EDGE:
        raise ValueError(NOT_A_DIGIT.format(why="its edges are not plain paper: a photo, or noise?"))
    columns = ink.sum(0)
    inked = np.flatnonzero(columns > 0)
    runs = np.split(inked, np.flatnonzero(np.diff(inked) > max(2, 0.03 * len(columns))) + 1)
    shares = [columns[run].sum() / columns.sum() for run in runs]
    if sum(share >= SEVERAL_SHARE for share in shares) >= 2:
        raise ValueError("that looks like several digits side by side: draw one digit at a time")


def normalise(source: str | Path | bytes | Image.Image | np.ndarray) -> np.ndarray:
    """An image of one handwritten digit as MNIST would hold it: uint8 ``(28, 28)``, white ink on black."""
    ink = ink_of(open_image(source))
    if ink.max() < MIN_CONTRAST:
        raise ValueError("the drawing is empty: draw one digit, large, in the middle")
    ink = ink / ink.max()
    ink[ink < MIN_CONTRAST] = 0  # paper grain and compression noise are not strokes
    check_one_digit(ink)
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = BOX / max(crop.shape)
    height, width = (max(1, round(side * scale)) for side in crop.shape)
    small = Image.fromarray(crop.astype(np.float32), mode="F").resize((width, height), Image.Resampling.LANCZOS)
    field = torch.zeros(IMAGE_SIZE, IMAGE_SIZE)
    top, left = (IMAGE_SIZE - height) // 2, (IMAGE_SIZE - width) // 2
    field[top : top + height, left : left + width] = torch.from_numpy(np.clip(np.asarray(small), 0, 1))
    centred = (centre(field[None, None] * 2 - 1)[0, 0] + 1) / 2  # MNIST's own centring, by centre of mass
    drawing = (centred / centred.max() * 255).round().to(torch.uint8).numpy()
    if (drawing > 38).mean() > INKED_MAX:
        raise ValueError(NOT_A_DIGIT.format(why="ink everywhere, like noise"))
    return drawing


def probabilities(drawing: np.ndarray) -> torch.Tensor:
    """The meter's classifier's probability of each digit 0–9 in a normalised drawing."""
    return read_images(torch.from_numpy(np.ascontiguousarray(drawing[None])))[1][0]


def read(drawing: np.ndarray) -> tuple[int, float]:
    """What the meter's classifier reads in a normalised drawing, and its probability."""
    return read_digits(drawing[None])[0]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def fit(
    g: Generator, z: torch.Tensor, digit: int, target: torch.Tensor, steps: int, lr: float, prior: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``steps`` of Adam on each noise vector in ``z`` towards ``target``; the vectors and their pixel errors."""
    z = z.clone().requires_grad_(True)
    labels = torch.full((len(z),), digit)
    opt = torch.optim.Adam([z], lr=lr)
    for _ in range(steps):
        error = (g(z, labels) - target).square().flatten(1).mean(1)
        loss = error + prior * (z.square().mean(1) - 1).square()
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
    with torch.no_grad():
        return z.detach(), (g(z, labels) - target).square().flatten(1).mean(1)


def best_hand(styles: list[Style], digit: int, drawing: np.ndarray, g: Generator) -> tuple[Style, int]:
    """The style that writes the most of the ten digits legibly, and of those the one closest to the
    drawing; and how many of its ten digits read right.

    Pixel error alone can pick a vector that matches the drawing through an odd corner of the noise
    space, where some other digit comes out as something else; reading each hand's ten digits (one
    classifier pass over ten per start) steers the choice away from those.
    """
    z = torch.stack([s.z for s in styles])
    rows = pixels(g, torch.arange(10).repeat(len(styles)), z.repeat_interleave(10, dim=0))
    legible = read_images(torch.from_numpy(rows))[1].argmax(1) == torch.arange(10).repeat(len(styles))
    legible = legible.view(len(styles), 10).sum(1)
    drawn = torch.from_numpy(rows.reshape(len(styles), 10, IMAGE_SIZE, IMAGE_SIZE)[:, digit]).float()
    error = (drawn - torch.from_numpy(drawing).float()).square().flatten(1).mean(1)
    best = int(torch.argmin(error - 1e6 * legible))  # legibility first, then the closest match
    return styles[best], int(legible[best])


def drawn_with_jacobian(
    g: Generator, z: torch.Tensor, digit: int, eps: float = 1e-3
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each vector's image ``(k, 784)`` in [-1, 1] as ``g`` writes it, and its Jacobian ``(k, 784, z_dim)``.

    The Jacobian is taken by forward differences, one batch of ``k · (z_dim + 1)`` images: on a CPU
    that is about half the cost of forward-mode autodiff, and exact enough to steer Gauss–Newton.
    Centring moves the pixels of an image and of its derivatives alike (the shift held fixed).
    """
    k, z_dim = z.shape
    nudged = (z[:, None, :] + eps * torch.eye(z_dim)).reshape(-1, z_dim)
    images = g.uncentred(torch.cat([z, nudged]), torch.full((k * (z_dim + 1),), digit))
    here, there = images[:k], images[k:].view(k, z_dim, IMAGE_SIZE, IMAGE_SIZE)
    columns = (there - here) / eps
    if g.centred:
        rows, cols = centring_shift(here)
        here = centre(here)
        columns = shift(columns.flatten(0, 1), rows.repeat_interleave(z_dim), cols.repeat_interleave(z_dim))
    return here.flatten(1), columns.reshape(k, z_dim, -1).transpose(1, 2)


@torch.no_grad()
def gauss_newton(
    g: Generator, z: torch.Tensor, digit: int, target: torch.Tensor, iterations: int, prior: float, refresh: int = 3
) -> torch.Tensor:
    """Levenberg–Marquardt on each vector in ``z`` towards ``target``: least squares in 64 unknowns.

    The residuals are the pixel errors and the pull that keeps the vector typical (``prior``, as in
    :func:`fit`). The Jacobian is measured every ``refresh`` iterations and updated by Broyden's
    rank-one rule in between, each of which costs one image per vector. A step that does not lower
    the error is refused and the damping raised.
    """
    k, z_dim = z.shape
    per_pixel = (IMAGE_SIZE * IMAGE_SIZE) ** -0.5  # the residuals' scale: the mean square error, as fit's
    pull = prior**0.5

    def residuals(v: torch.Tensor, with_jacobian: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        if with_jacobian:
            image, jacobian = drawn_with_jacobian(g, v, digit)
        else:
            image, jacobian = g(v, torch.full((len(v),), digit)).flatten(1), None
        r = torch.cat([(image - target.flatten()) * per_pixel, pull * (v.square().mean(1, keepdim=True) - 1)], 1)
        if jacobian is not None:
            jacobian = torch.cat([jacobian * per_pixel, (pull * 2 / z_dim * v)[:, None, :]], 1)
        return r, jacobian

    r, jacobian = residuals(z, True)
    error, damping = r.square().sum(1), torch.full((k,), 1e-2)
    for i in range(1, iterations + 1):
        normal = jacobian.transpose(1, 2) @ jacobian
        scale = normal.diagonal(dim1=1, dim2=2).mean(1)[:, None, None]
        step = -torch.linalg.solve(
            normal + damping[:, None, None] * scale * torch.eye(z_dim), jacobian.transpose(1, 2) @ r[..., None]
        )[..., 0]
        r_new, measured = residuals(z + step, i % refresh == 0)
        if measured is None:  # Broyden: the Jacobian corrected to explain this step exactly
            predicted = (jacobian @ step[..., None])[..., 0]
            measured = (
                jacobian + (r_new - r - predicted)[..., None] * step[:, None, :] / step.square().sum(1)[:, None, None]
            )
        error_new = r_new.square().sum(1)
        better = error_new < error
        z = torch.where(better[:, None], z + step, z)
        r = torch.where(better[:, None], r_new, r)
        jacobian = torch.where(better[:, None, None], measured, jacobian)
        error = torch.where(better, error_new, error)
        damping = torch.where(better, damping / 3, damping * 4)
    return z


def capture(
    source: str | Path | bytes | Image.Image | np.ndarray,
    digit: int | None = None,
    *,
    generator: Generator | None = None,
    use_encoder: bool = True,
    candidates: int = 2,
    iterations: int = 16,
    restarts: int = 8,
    steps: int = 120,
    lr: float = 0.08,
    prior: float = 0.1,
    seed: int = 0,
    finalists: int = 4,
) -> Capture:
    """The hand that wrote ``source``: the noise vector whose image of ``digit`` best matches it.

    ``digit`` defaults to what the classifier reads in the drawing. ``prior`` weighs a pull of the
    vector's mean square towards 1 (a typical vector), which keeps the other digits clean.

    Where the weights come with an encoder (:mod:`digitgen.encoder`), its guess and ``candidates - 1``
    seeded neighbours are refined by ``iterations`` of Gauss–Newton (about 0.1 s on 2 CPU cores); a
    hand that still matches poorly or writes a digit illegibly is searched for as well. Otherwise, or
    with ``use_encoder=False``, Adam searches from ``restarts`` seeded random vectors for ``steps``
    steps, the closest ``finalists`` going on after a quarter of them (about 0.4 s).
    """
    drawing = normalise(source)
    belief = probabilities(drawing)
    read = digit is None
    digit = int(belief.argmax()) if read else check_digit(digit)
    g = resolve(generator)
    target = to_unit_range(torch.from_numpy(drawing)).view(1, 1, IMAGE_SIZE, IMAGE_SIZE)
    encoder = load_encoder(g) if use_encoder else None
    noise = torch.Generator().manual_seed(seed)
    was_training, trainable = g.training, [w.requires_grad for w in g.parameters()]
    g.eval().requires_grad_(False)

    def search() -> torch.Tensor:
        z = torch.randn(restarts, g.z_dim, generator=noise)
        scout = max(1, steps // 4)  # every start for a while, then only the closest few go on
        z, error = fit(g, z, digit, target, scout, lr, prior)
        return fit(g, z[error.argsort()[:finalists]], digit, target, steps - scout, lr, prior)[0]

    def choose(z: torch.Tensor) -> tuple[Style, int, np.ndarray]:
        style, legible = best_hand([Style.of(v, g) for v in z], digit, drawing, g)
        return style, legible, pixels(g, torch.tensor([digit]), style.z[None])[0]

    try:
        if encoder is None:
            style, _, reconstruction = choose(search())
        else:
            with torch.no_grad():
                guess = encoder(target, torch.tensor([digit]))
            z = torch.cat([guess, guess + 0.5 * torch.randn(candidates - 1, g.z_dim, generator=noise)])
            z = gauss_newton(g, z, digit, target, iterations, prior)
            style, legible, reconstruction = choose(z)
            if legible < NUM_CLASSES or psnr(reconstruction, drawing) < SEARCH_TOO_DB:  # the rare hard drawing
                style, _, reconstruction = choose(torch.cat([z, search()]))
    finally:
        g.train(was_training)
        for w, flag in zip(g.parameters(), trainable, strict=True):
            w.requires_grad_(flag)
    match = psnr(reconstruction, drawing)
    if read and match < MATCH_MIN_DB:  # a digit the caller names is theirs to insist on
        why = f"the closest digit this generator writes matches it at {match:.0f} dB"
        raise ValueError(NOT_A_DIGIT.format(why=why) + ", or say which digit it is")
    return Capture(style, digit, float(belief[digit]), drawing, reconstruction, match)

"""Shape controls: a digit's stroke thickness, slant and width, each dialled from −1 to 1.

Nothing in the generator was trained to know these words. They are found in its noise: for each
digit, many of its own digits are measured (:mod:`digitgen.morphometrics`), the three attributes are
regressed on the noise with how surely the classifier reads the digit (its log-odds), and each
attribute gets the shortest step in the noise that changes it by one standard deviation while the
linear fits of the other two and of the reading stay put (``W (WᵀW)⁻¹``): a 7 made narrow stays a 7
more often (84.5 → 96.5 % on the benchmark's hands). Where holding the reading leaves a side no room
at all (a 1 made narrower), that side holds the shape only. Each direction is then stretched, on
each side separately, until the mean over a few hundred hands reaches a tenth of the range past
MNIST's own 5th or 95th percentile for that digit (a table of MNIST's training digits that ships
with the package, ``mnist_shape.json``, so a fit needs no data), or as far as that side goes before
it turns back. A step counts only if its hands move the right way both halfway and from there on, by
more than three standard errors of their mean move: a mean that barely moves on the fit's hands may
turn back on others'. So −1 and 1 are "as thin (slanted left, narrow) as digits come" and "as thick
(slanted right, wide)", and 0 is the hand as drawn, untouched.

A step that suits the mean can still push the odd hand past its digit (a wide 8 that reads as
nothing in particular). At sampling, :func:`shaped_pixels` reads each moved hand with the guard, a
classifier of the meter's kind trained apart from it (``weights/guard``), and pulls back a hand it
is no longer three-to-one sure of (:data:`GUARD_SURE`) to the largest eighth of its move that it is:
15 % of the widest 8s, and the meter reads them 93.7 → 98.8 % (``benchmarks/shape.py``).

Directions are tied to the weights they were found for, like an encoder: they live in the
generator's folder (and Hub repository) as ``shape/model.safetensors`` with ``shape/config.json``,
which carries the weights' fingerprint. ``digitgen shape --model FOLDER`` finds them, in three to seven
minutes on two CPU cores. (``python -m digitgen.shape`` works too, but Python warns that the package
imported this module before running it: the library's writers use it.)
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import time
from dataclasses import astuple, dataclass
from numbers import Real
from pathlib import Path

import numpy as np
import torch

from .classifier import digit_margin, load_classifier, read_images
from .data import load_mnist
from .draw import noise, pixels
from .hub import SHIPPED, Companion, load_companion, load_generator, looks_local
from .layout import NUM_CLASSES
from .models import Generator
from .morphometrics import measure
from .style import fingerprint

FOLDER = "shape"  # inside the generator's folder or Hub repository
CONTROLS = ("thickness", "slant", "width")
# what each control's −1 and 1 mean, in the words of the app's sliders, the API and the command line
ENDS = {"thickness": ("thin", "thick"), "slant": ("leaning left", "leaning right"), "width": ("narrow", "wide")}
MARGIN = 0.1  # ±1 aims this share of MNIST's 5th–95th percentile range past each end of it
MNIST_TABLE = Path(__file__).parent / "mnist_shape.json"  # MNIST's own percentiles, per digit: what ±1 aim at
SURE = 3.0  # standard errors a step's mean move must clear to count as moving (see surely_moves)
MAX_STEP = 8.0  # no control moves the noise further than this (a typical noise vector's length is 8)
GUARD = Path(__file__).parent / "weights" / "guard"  # the classifier that keeps moved hands readable
GUARD_SURE = 0.75  # the guard's probability of the asked digit a moved hand must keep (0.5 read worse: experiments.md)
SHARES = torch.arange(7, -1, -1) / 8  # the shares of a move the guard tries for a hand the whole move loses: 7/8 … 0


def is_number(value: object) -> bool:
    """A finite real number; bools (which Python counts as ints) and NaN are not."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)  # type: ignore[arg-type]


def check_range(name: str, low: object, high: object, written: str | None = None) -> tuple[float, float]:
    """A control's range, ``low`` to ``high`` within −1 … 1; ValueError with a sentence quoting ``written``."""
    shown = written if written is not None else f"{low}:{high}"
    if not (is_number(low) and is_number(high) and -1 <= low <= 1 and -1 <= high <= 1):  # type: ignore[operator]
        raise ValueError(f"{name} takes a range LOW:HIGH within -1 … 1 (e.g. -1:1), or one value; got {shown!r}")
    if low > high:  # type: ignore[operator]
        raise ValueError(f"{name}'s range {shown!r} is written backwards: write {high:g}:{low:g}")
    return float(low), float(high)  # type: ignore[arg-type]


def parse_range(name: str, text: str) -> tuple[float, float]:
    """A control's range written ``LOW:HIGH`` (``-1:1``, ``0.5:1``), or one value; ValueError with a sentence."""
    parts = str(text).split(":")
    try:
        low, high = (float(parts[0]), float(parts[-1])) if len(parts) <= 2 else (math.nan, math.nan)
    except ValueError:
        low = high = math.nan
    return check_range(name, low, high, str(text))


def parse_ranges(written: dict[str, str | None]) -> dict[str, tuple[float, float]]:
    """Each control's range as written (``{"thickness": "0.5:1"}``); a control left empty or None is left out."""
    return {name: parse_range(name, text) for name, text in written.items() if text is not None and str(text).strip()}


@dataclass(frozen=True)
class Shape:
    """The three controls, each from −1 to 1; 0 leaves the digit as the hand draws it."""

    thickness: float = 0.0
    slant: float = 0.0
    width: float = 0.0

    def __post_init__(self) -> None:
        for name, value in zip(CONTROLS, astuple(self), strict=True):
            if not (is_number(value) and -1 <= value <= 1):  # type: ignore[operator]
                raise ValueError(f"{name} must be a number from -1 to 1 (0 leaves the digit as drawn), got {value!r}")

    def __bool__(self) -> bool:
        return any(astuple(self))

    @property
    def values(self) -> torch.Tensor:
        return torch.tensor(astuple(self), dtype=torch.float32)


class ShapeDirections(Companion):
    """For each digit and control, the step in the noise that control's −1 and 1 take: ``(10, 3, 2, z_dim)``."""

    def __init__(self, z_dim: int = 64, generator: str = "", fit: dict | None = None):
        super().__init__()
        self.z_dim, self.generator, self.fit = z_dim, generator, dict(fit or {})
        self.register_buffer("steps", torch.zeros(NUM_CLASSES, len(CONTROLS), 2, z_dim))

    @property
    def config(self) -> dict[str, object]:
        return {"z_dim": self.z_dim, "generator": self.generator, "fit": self.fit}

    def shift(self, digits: torch.Tensor, controls: torch.Tensor) -> torch.Tensor:
        """The noise's move for each digit ``(n,)``, or blend of digits ``(n, 10)``, under the controls:
        one setting ``(3,)`` (a :attr:`Shape.values`) for all, or one per digit ``(n, 3)``: ``(n, z_dim)``."""
        steps = (
            self.steps[digits] if not digits.is_floating_point() else torch.einsum("nk,kcsz->ncsz", digits, self.steps)
        )
        c = controls.expand(len(steps), len(CONTROLS))
        side = (c > 0).long()[:, :, None, None].expand(-1, -1, 1, self.z_dim)  # 0: the −1 step, 1: the +1 step
        return (c.abs()[:, :, None] * steps.gather(2, side).squeeze(2)).sum(1)


@functools.cache
def cached_directions(source: str, weights_fingerprint: str) -> ShapeDirections | None:
    return load_companion(source, FOLDER, ShapeDirections, weights_fingerprint, "the shape controls are off")


def load_directions(generator: Generator) -> ShapeDirections | None:
    """The shape directions found for ``generator``'s weights, from where they came; None if there are none."""
    source = getattr(generator, "source", None)
    return None if source is None else cached_directions(str(source), fingerprint(generator).hex())


def shaped(generator: Generator, digits: torch.Tensor, z: torch.Tensor, shape: Shape | torch.Tensor) -> torch.Tensor:
    """The noise ``z`` moved for each of ``digits`` by ``shape``, or by one checked setting per digit ``(n, 3)``;
    ``z`` itself when every control is 0."""
    controls = shape.values if isinstance(shape, Shape) else shape
    if not controls.any():
        return z
    directions = load_directions(generator)
    if directions is None:
        raise ValueError(
            "these weights have no shape controls yet: make them with `digitgen shape --model FOLDER` "
            "(or leave thickness, slant and width at 0)"
        )
    return z + directions.shift(digits, controls)


def readable(images: np.ndarray, digits: torch.Tensor) -> torch.Tensor:
    """Whether the guard (a classifier trained apart from the meter's) finds each uint8 image its digit
    with probability at least ``GUARD_SURE``: ``(n,)`` bools."""
    _, probs = read_images(torch.from_numpy(np.ascontiguousarray(images)), load_classifier(GUARD))
    return probs.gather(1, digits[:, None]).squeeze(1) >= GUARD_SURE


def shaped_pixels(
    generator: Generator, digits: torch.Tensor, z: torch.Tensor, shape: Shape | torch.Tensor
) -> tuple[np.ndarray, torch.Tensor]:
    """The hand ``z`` writing ``digits`` (labels, or blends of digits), moved as ``shape`` asks: uint8, and the
    share of its move each hand went ``(n,)`` (1 but where the guard pulled it back).

    A control pushed far makes the odd hand unreadable as its digit (a narrow 8 that reads as a 1).
    So each moved hand of one digit (not a blend: frames between two digits are meant to read as
    neither) is read by the guard, and a hand that it is not sure enough of (``GUARD_SURE``)
    goes only the largest share of its move, in eighths, at which it is, or stays as drawn; a hand
    that is not readable at any share keeps the whole move."""
    moved = shaped(generator, digits, z, shape)
    images = pixels(generator, digits, moved)
    blends = digits.is_floating_point()
    asked = digits.argmax(1) if blends else digits
    rows = torch.nonzero((moved != z).any(1) & (digits.amax(1) == 1 if blends else True)).squeeze(1)
    wrong = rows[~readable(images[rows.numpy()], asked[rows])] if len(rows) else rows
    went = torch.ones(len(digits))
    if len(wrong):
        tries = z[wrong, None] + SHARES[:, None] * (moved - z)[wrong, None]  # (wrong, shares, z_dim)
        tried = pixels(generator, digits[wrong].repeat_interleave(len(SHARES), 0), tries.flatten(0, 1))
        right = readable(tried, asked[wrong].repeat_interleave(len(SHARES))).view(len(wrong), -1)
        found = right.any(1)
        best = right.int().argmax(1)  # the first share, the largest, that reads right
        images[wrong[found].numpy()] = tried.reshape(len(wrong), len(SHARES), *tried.shape[1:])[
            found.numpy(), best[found].numpy()
        ]
        went[wrong[found]] = SHARES[best[found]]
    return images, went


def control_attributes(images: np.ndarray) -> np.ndarray:
    """The three controls' attributes (thickness, slant, width) of uint8 digits ``(n, 28, 28)``: ``(n, 3)``."""
    m = measure(images)
    return np.stack([m[name] for name in CONTROLS], axis=1)


def attributes(generator: Generator, digit: int, z: torch.Tensor) -> np.ndarray:
    """The three controls' attributes measured on ``generator``'s digits for ``z``: ``(n, 3)``."""
    return control_attributes(pixels(generator, torch.full((len(z),), digit), z))


def surely_moves(sign: float, moves: np.ndarray) -> bool:
    """Whether per-hand ``moves`` go ``sign``'s way on average by more than :data:`SURE` standard errors:
    a mean that only just moves would not on other hands (the benchmark's are not the fit's)."""
    moves = moves[~np.isnan(moves)]
    return len(moves) > 1 and sign * moves.mean() > SURE * moves.std() / math.sqrt(len(moves))


def mnist_attributes(root: str | Path, per_digit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The three attributes ``(n, 3)`` of MNIST's training digits under ``root`` (a torchvision root), the first
    ``per_digit`` of each digit or all of them, and their labels ``(n,)``."""
    train = load_mnist(root)
    train = train.per_digit(per_digit) if per_digit else train
    return control_attributes(train.images.numpy()), train.labels.numpy()


def percentile_ranges(table: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each digit's 5th and 95th percentiles of the attributes ``table`` ``(n, 3)``: ``(10, 3, 2)``."""
    return np.stack([np.nanpercentile(table[labels == d], [5, 95], axis=0).T for d in range(NUM_CLASSES)])


def write_mnist_table(root: str | Path, path: Path = MNIST_TABLE) -> None:
    """The table the fit aims at, from all 60,000 of MNIST's training digits: it ships, so fits need no data."""
    ranges = percentile_ranges(*mnist_attributes(root))
    table = {
        "what": "per digit, per attribute: MNIST training digits' 5th and 95th percentiles",
        "made_by": "digitgen shape --write-mnist-table MNIST_ROOT",
        "attributes": list(CONTROLS),
        "p5_p95": {str(d): np.round(ranges[d], 4).tolist() for d in range(NUM_CLASSES)},
    }
    path.write_text(json.dumps(table, indent=1) + "\n")


@functools.cache
def mnist_table() -> np.ndarray:
    """The shipped table of MNIST's percentiles (see :func:`write_mnist_table`): ``(10, 3, 2)``."""
    table = json.loads(MNIST_TABLE.read_text())["p5_p95"]
    return np.array([table[str(d)] for d in range(NUM_CLASSES)])


def held_steps(zs: np.ndarray, measured: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    """Each measured column ridge-fitted on the noise ``zs``, and for each the shortest step in the noise that
    moves its fit by one standard deviation while every other column's fit stays put (``W (WᵀW)⁻¹``):
    ``(columns, z_dim)``, with each fit's R²."""
    scaled = (measured - measured.mean(0)) / measured.std(0)
    w = np.linalg.solve(zs.T @ zs + 10.0 * np.eye(zs.shape[1]), zs.T @ scaled)  # ridge: columns ≈ z·w
    r2 = 1 - ((zs @ w - scaled) ** 2).mean(0)
    gram = w.T @ w + 1e-9 * np.eye(w.shape[1])  # (a whisker of ridge for weights barely trained)
    return torch.from_numpy(w @ np.linalg.inv(gram)).float().T, r2


def stretch(
    generator: Generator,
    digit: int,
    hands_z: torch.Tensor,
    as_drawn: np.ndarray,
    i: int,
    step: torch.Tensor,
    wanted: float,
) -> tuple[float, float]:
    """How many of ``step`` (the noise's move that changes attribute ``i`` by one unit, by the linear fit) move
    the hands' mean attribute nearest ``wanted`` units, the right way all along: the fit's guess first, then the
    measured response (the fit is good, not perfect, at the ends). The multiple and the mean move it makes;
    (0, 0) where no step moves it."""
    start, sign, limit = float(np.nanmean(as_drawn[:, i])), math.copysign(1.0, wanted), MAX_STEP / float(step.norm())
    k, best_k, best_got = wanted, 0.0, 0.0
    for _ in range(4):
        k = float(np.clip(k, -limit, limit))
        halfway, whole = (attributes(generator, digit, hands_z + f * k * step)[:, i] for f in (0.5, 1))
        got = float(np.nanmean(whole)) - start
        onward = surely_moves(sign, halfway - as_drawn[:, i]) and surely_moves(sign, whole - halfway)
        if onward and abs(got - wanted) < abs(best_got - wanted):
            best_k, best_got = k, got
        if onward and abs(got - wanted) < 0.05 * abs(wanted):
            break
        # past a turning point (a 1 made ever narrower grows wider again) come back halfway
        k = k / 2 if not onward else k * float(np.clip(wanted / got, 0.5, 2.0))
    return best_k, best_got


def directions_for(
    generator: Generator, digit: int, samples: int, hands: int, seed: int
) -> tuple[torch.Tensor, dict[str, object]]:
    """One digit's steps ``(3, 2, z_dim)`` and what the fit found (its R², targets, reach, and where the
    digit's reading could not be held)."""
    z = noise(generator.z_dim, samples, seed + digit)
    images = pixels(generator, torch.full((len(z),), digit), z)
    measured = np.column_stack([control_attributes(images), digit_margin(images, digit)])
    kept = ~np.isnan(measured).any(axis=1)
    zs, measured = z.numpy()[kept].astype(np.float64), measured[kept]
    a = measured[:, : len(CONTROLS)]
    sd = a.std(0)
    holding_read, r2 = held_steps(zs, measured)  # holds the other two attributes and how surely the digit reads
    holding_shape, _ = held_steps(zs, a)  # holds the other two only
    low, high = mnist_table()[digit].T
    targets = np.stack([low - MARGIN * (high - low), high + MARGIN * (high - low)], axis=1)  # (3, 2)

    hands_z = noise(generator.z_dim, hands, seed + 100 + digit)
    as_drawn = attributes(generator, digit, hands_z)
    start = np.nanmean(as_drawn, axis=0)
    steps, reach = torch.zeros(len(CONTROLS), 2, generator.z_dim), np.zeros((len(CONTROLS), 2))
    read_not_held = []
    for i, name in enumerate(CONTROLS):
        for side in range(2):
            wanted = targets[i, side] - start[i]
            for units in (holding_read, holding_shape):  # the second where holding the read stops the side dead
                step = units[i] / sd[i]  # moves attribute i by one unit (units[i] moves it one sd)
                k, got = stretch(generator, digit, hands_z, as_drawn, i, step, wanted)
                if k:
                    break
            steps[i, side], reach[i, side] = k * step, start[i] + got
            read_not_held += [f"{name} {ENDS[name][side]}"] if units is holding_shape and k else []
    return steps, {
        "r2": np.round(r2, 3).tolist(),
        "aims": np.round(targets, 3).tolist(),
        "as_drawn": np.round(start, 3).tolist(),
        "at_minus_and_plus_1": np.round(reach, 3).tolist(),
        "read_not_held": read_not_held,
    }


def find_directions(generator: Generator, samples: int = 1500, hands: int = 200, seed: int = 0) -> ShapeDirections:
    """The shape directions for ``generator``, from its own digits (no data needed); see the module's text."""
    generator = generator.eval()
    directions = ShapeDirections(generator.z_dim, fingerprint(generator).hex())
    start, fit = time.perf_counter(), {}
    for digit in range(NUM_CLASSES):
        directions.steps[digit], fit[str(digit)] = directions_for(generator, digit, samples, hands, seed)
        print(f"digit {digit}: {fit[str(digit)]} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    directions.fit = {"samples_per_digit": samples, "hands": hands, "seed": seed, "attributes": list(CONTROLS), **fit}
    return directions.eval()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="digitgen shape", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=str(SHIPPED), help="the generator's folder; the directions are written inside it")
    p.add_argument("--samples", type=int, default=1500, help="digits measured per digit for the regression")
    p.add_argument("--hands", type=int, default=200, help="hands each direction's reach is measured on")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--write-mnist-table", metavar="MNIST_ROOT", help="(maintainers) remake the MNIST table ±1 aim at")
    a = p.parse_args(argv)
    if a.write_mnist_table:
        write_mnist_table(a.write_mnist_table)
        return
    if not looks_local(a.model):
        p.error("--model must be a local folder (download a Hub model with save_pretrained first)")
    directions = find_directions(load_generator(a.model), a.samples, a.hands, a.seed)
    directions.save(Path(a.model) / FOLDER)
    print(json.dumps({"shape": str(Path(a.model) / FOLDER), "for_weights": directions.generator}))


if __name__ == "__main__":
    main()

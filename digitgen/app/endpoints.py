"""The app's endpoints: each one an API endpoint and an MCP tool, its docstring the description callers read.

The endpoints leave the checks and the drawing to the library (but for the app's own limit on a
dataset's size): it raises ValueError with one sentence for anything it refuses, which the endpoint
shows as a ``gr.Error``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import torch

from digitgen.capture import Capture, capture, strokes
from digitgen.classifier import read_digits
from digitgen.dataset import dataset_zip, first_digits
from digitgen.draw import DEFAULT_NEATNESS
from digitgen.handwriting import write_number
from digitgen.images import gif_bytes, grid, png_bytes, upscale, zip_of_pngs
from digitgen.models import Generator
from digitgen.sample import MAX_SEED, generate, morph, morph_digits, style_row
from digitgen.shape import CONTROLS, ENDS, parse_ranges

from .files import HandedOutFiles

EXAMPLE_DRAWING = Path(__file__).parent / "example_drawing.png"  # MNIST's first test digit, drawn large on a page
GALLERY_SIZE = 5
DATASET_MAX_PER_DIGIT = 1000  # a download made while the user waits (≈ 5 s); more is the command's job
PICTURE_SCALE = 4  # the agents' pictures: 28-pixel digits drawn 112 pixels high, so chat clients show them clearly

# The arguments most endpoints share, said once: ``{digit}`` in a docstring's Args stands for ARGS["digit"].
ARGS = {
    "digit": "the digit to write, 0–9.",
    "seed": "0 … 2**31−1; the same (digit, seed, neatness) always gives the same five images.",
    "neatness": "0 (wild) … 1 (neat).",
    "text": 'up to 32 digits; spaces leave gaps (e.g. "2026" or "12 34").',
    **{name: f"-1 ({low}) … 1 ({high}); 0 leaves the hand as it draws." for name, (low, high) in ENDS.items()},
}
ARGS["shape"] = "\n            ".join(f"{name}: {ARGS[name]}" for name in CONTROLS)  # the three, in an Args list
ARGS["ranges"] = "\n            ".join(  # a dataset's: the command line's --thickness LOW:HIGH and so on
    f'{name}: spread the digits\' {name} over LOW:HIGH within -1 … 1 (e.g. "0.5:1"), or one value; '
    "empty: as the hand draws."
    for name in CONTROLS
)


@dataclass(frozen=True)
class Lane:
    """A kind of work with its own queue: Gradio runs at most ``limit`` of its events at once, each on
    one of ``limit`` threads of the app's own, at the CPU priority ``nice`` (0 normal, 19 lowest).

    Light work (a few digits, a few milliseconds of model time) never waits behind heavy work: a
    capture or a dataset queues in its own lane, and the operating system gives the cores to light
    work first, then to captures; datasets, which nobody watches being drawn, get what is left. Each
    lane's threads run torch on one core (``torch.set_num_threads(1)``): two cores are shared by the
    lanes' five threads, not fought over by each one's own pool.
    """

    name: str
    limit: int
    nice: int

    @property
    def queue(self) -> dict[str, Any]:
        """The arguments that put a Gradio event in this lane's queue."""
        return {"concurrency_id": self.name, "concurrency_limit": self.limit}


LIGHT = Lane("light", limit=2, nice=0)
CAPTURE = Lane("capture", limit=2, nice=5)  # a fifth of a second each on one core, two at a time
DATASET = Lane("dataset", limit=1, nice=15)  # seconds each; nobody watches it draw
LANES = (LIGHT, CAPTURE, DATASET)


def shape_of(thickness: Any = 0.0, slant: Any = 0.0, width: Any = 0.0) -> dict[str, Any]:
    """The shape controls (or a dataset's ranges) as the library's keyword arguments (the library checks them)."""
    return {"thickness": thickness, "slant": slant, "width": width}


def start_worker(nice: int) -> None:
    """A lane's thread: torch on one core, at the lane's priority (Linux sets it per thread)."""
    torch.set_num_threads(1)
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or a host that forbids it
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


def endpoint(lane: Lane) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the method on ``lane``'s threads, and show a ValueError's sentence, never a traceback.

    Gradio would run it on any of its 40 pool threads. Each thread that runs torch keeps memory of
    its own (a glibc malloc arena with freed activations kept for reuse, see digitgen/malloc.py),
    so a Space's memory rose as more of them took turns (+123 MB in 4 minutes under load); with two
    threads, +8 MB (docs/experiments.md). The lanes hold five, whichever of Gradio's threads calls.
    """

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(self: Endpoints, *args: Any) -> Any:
            try:
                return self.workers[lane.name].submit(method, self, *args).result()
            except ValueError as e:
                raise gr.Error(str(e), print_exception=False) from None

        wrapper.__doc__ = (method.__doc__ or "").format(**ARGS)
        return wrapper

    return decorate


class Endpoints:
    """What the page and its API callers can ask of one generator; the files it hands out live in ``files``."""

    def __init__(self, generator: Generator, files: HandedOutFiles):
        self.generator, self.files = generator, files
        self.example: Capture | None = None  # the example drawing's capture, made once when first shown
        self.workers = {
            lane.name: ThreadPoolExecutor(
                lane.limit, f"digitgen-{lane.name}", initializer=start_worker, initargs=(lane.nice,)
            )
            for lane in LANES
        }

    def captioned(self, images: np.ndarray) -> list[tuple[str, str]]:
        """Each image with what the built-in classifier reads, e.g. ``7 · 99.6 %``."""
        readings = read_digits(images)
        return [(self.files.png(img), f"{d} · {p:.1%}") for img, (d, p) in zip(images, readings, strict=True)]

    def five(self, digit: int, seed: int, neatness: float, *shape: float) -> np.ndarray:
        return generate(digit, seed, GALLERY_SIZE, neatness=neatness, **shape_of(*shape), generator=self.generator)

    @endpoint(LIGHT)
    def generate(
        self,
        digit: int,
        seed: int,
        neatness: float = DEFAULT_NEATNESS,
        thickness: float = 0.0,
        slant: float = 0.0,
        width: float = 0.0,
    ) -> list[tuple[str, str]]:
        """Five handwritten images of one digit, each captioned with what the classifier reads.

        Args:
            digit: {digit}
            seed: {seed}
            neatness: {neatness}
            {shape}

        Returns:
            Five 28×28 grayscale PNGs (white ink on black, like MNIST) with captions like "7 · 99.6 %".
        """
        return self.captioned(self.five(digit, seed, neatness, thickness, slant, width))

    @endpoint(LIGHT)
    def export(
        self,
        digit: int,
        seed: int,
        neatness: float = DEFAULT_NEATNESS,
        thickness: float = 0.0,
        slant: float = 0.0,
        width: float = 0.0,
    ) -> tuple[str, str]:
        """The five images of `generate` as one PNG picture (agents see it) and as a ZIP of the 28×28 PNGs.

        The images are drawn again (≈ 2 ms, bit-identical for the same inputs) rather than kept between
        events, so this endpoint stands alone for API callers.

        Args:
            digit: {digit}
            seed: {seed}
            neatness: {neatness}
            {shape}

        Returns:
            A 152×32 PNG of the five digits side by side (white ink on black), and a ZIP of five 28×28 PNGs.
        """
        images = self.five(digit, seed, neatness, thickness, slant, width)
        stem = f"digit{digit}_seed{seed}"
        grid_png = self.files.save(png_bytes(grid(images, cols=GALLERY_SIZE)), f"{stem}.png")
        return grid_png, self.files.save(zip_of_pngs(images, stem), f"{stem}.zip")

    @endpoint(LIGHT)
    def number(
        self,
        text: str,
        seed: int,
        neatness: float = DEFAULT_NEATNESS,
        thickness: float = 0.0,
        slant: float = 0.0,
        width: float = 0.0,
    ) -> list[str]:
        """A number written by hand, five ways.

        Args:
            text: {text}
            seed: 0 … 2**31−1; the same text and seed always give the same writing.
            neatness: {neatness}
            {shape}

        Returns:
            Five grayscale PNGs, 36 pixels high, one per variation.
        """
        shape = shape_of(thickness, slant, width)
        lines = write_number(text, seed, n=GALLERY_SIZE, neatness=neatness, **shape, generator=self.generator)
        return [self.files.png(line) for line in lines]

    @endpoint(LIGHT)
    def same_hand(
        self,
        seed: int,
        neatness: float = DEFAULT_NEATNESS,
        thickness: float = 0.0,
        slant: float = 0.0,
        width: float = 0.0,
    ) -> list[tuple[str, str]]:
        """All ten digits written with one noise vector: the style held fixed while the digit changes.

        Args:
            seed: 0 … 2**31−1; it names the hand (the noise vector); the same seed always writes the same row.
            neatness: {neatness}
            {shape}

        Returns:
            Ten captioned 28×28 PNGs, digits 0–9 in order.
        """
        shape = shape_of(thickness, slant, width)
        return self.captioned(style_row(seed, neatness=neatness, **shape, generator=self.generator))

    @endpoint(LIGHT)
    def morph_digit(
        self,
        digit: int,
        seed: int,
        seed_to: int,
        frames: int = 10,
        neatness: float = DEFAULT_NEATNESS,
        thickness: float = 0.0,
        slant: float = 0.0,
        width: float = 0.0,
    ) -> tuple[list[str], str]:
        """One digit morphing from the style of `seed` to that of `seed_to` (spherical interpolation of the noise).

        Args:
            digit: {digit}
            seed: 0 … 2**31−1, the style of the first frame.
            seed_to: 0 … 2**31−1, the style of the last frame.
            frames: how many frames, 2–32.
            neatness: {neatness}
            {shape}

        Returns:
            The frames as 28×28 PNGs, and an animated GIF of them.
        """
        shape = shape_of(thickness, slant, width)
        strip = morph(digit, seed, seed_to, frames, neatness=neatness, **shape, generator=self.generator)
        return self.strip_files(strip, f"morph_{digit}_{seed}_{seed_to}.gif")

    @endpoint(LIGHT)
    def morph_digits(
        self,
        digit: int,
        digit_to: int,
        seed: int,
        frames: int = 10,
        neatness: float = DEFAULT_NEATNESS,
        thickness: float = 0.0,
        slant: float = 0.0,
        width: float = 0.0,
    ) -> tuple[list[str], str]:
        """One hand turning one digit into another: the hand of `seed` held, `digit` sliding into `digit_to`.

        The frames in between are deliberately ambiguous digits, useful as hard test data.

        Args:
            digit: the first frame's digit, 0–9.
            digit_to: the last frame's digit, 0–9.
            seed: 0 … 2**31−1; it names the hand (as in same_hand).
            frames: how many frames, 2–32.
            neatness: {neatness}
            {shape}

        Returns:
            The frames as 28×28 PNGs, and an animated GIF of them.
        """
        shape = shape_of(thickness, slant, width)
        strip = morph_digits(digit, digit_to, seed, frames, neatness=neatness, **shape, generator=self.generator)
        return self.strip_files(strip, f"morph_{digit}_to_{digit_to}_{seed}.gif")

    def strip_files(self, strip: np.ndarray, gif_name: str) -> tuple[list[str], str]:
        """A morph's frames as PNGs, and its animated GIF."""
        return [self.files.png(frame) for frame in strip], self.files.save(gif_bytes(strip), gif_name)

    @endpoint(LIGHT)
    def digits_picture(
        self,
        digit: int,
        seed: int,
        neatness: float = DEFAULT_NEATNESS,
        thickness: float = 0.0,
        slant: float = 0.0,
        width: float = 0.0,
    ) -> str:
        """The five digits of `generate` as one picture: the tool to call when you want to see the digits.

        Args:
            digit: {digit}
            seed: {seed}
            neatness: {neatness}
            {shape}

        Returns:
            One PNG: five handwritten images of the digit side by side, white ink on black, 4× enlarged.
        """
        five = self.five(digit, seed, neatness, thickness, slant, width)
        return self.files.png(upscale(grid(five, cols=GALLERY_SIZE), PICTURE_SCALE))

    @endpoint(LIGHT)
    def number_picture(
        self,
        text: str,
        seed: int,
        neatness: float = DEFAULT_NEATNESS,
        thickness: float = 0.0,
        slant: float = 0.0,
        width: float = 0.0,
    ) -> str:
        """A number written by hand, as one picture: the first of `number`'s five ways.

        Args:
            text: {text}
            seed: 0 … 2**31−1; the same text and seed always give the same writing.
            neatness: {neatness}
            {shape}

        Returns:
            One PNG of the handwritten number, white ink on black, 4× enlarged.
        """
        shape = shape_of(thickness, slant, width)
        (line,) = write_number(text, seed, n=1, neatness=neatness, **shape, generator=self.generator)
        return self.files.png(upscale(line, PICTURE_SCALE))

    @endpoint(LIGHT)
    def hand_picture(
        self,
        seed: int,
        neatness: float = DEFAULT_NEATNESS,
        thickness: float = 0.0,
        slant: float = 0.0,
        width: float = 0.0,
    ) -> str:
        """The digits 0–9 written in one hand, as one picture (the row of `same_hand`).

        Args:
            seed: 0 … 2**31−1; it names the hand; the same seed always writes the same row.
            neatness: {neatness}
            {shape}

        Returns:
            One PNG: the ten digits 0–9 side by side, white ink on black, 4× enlarged.
        """
        row = style_row(seed, neatness=neatness, **shape_of(thickness, slant, width), generator=self.generator)
        return self.files.png(upscale(grid(row, cols=10), PICTURE_SCALE))

    @endpoint(DATASET)
    def make_dataset(
        self,
        per_digit: int,
        seed: int,
        neatness: float = DEFAULT_NEATNESS,
        thickness: str = "",
        slant: str = "",
        width: str = "",
        morphometrics: bool = False,
    ) -> str:
        """A synthetic MNIST to download: both splits as MNIST's own IDX files, in a ZIP with a datasheet.

        Unzipped, ``torchvision.datasets.MNIST(folder, train=True)`` (or ``train=False``) loads it unchanged.

        Args:
            per_digit: training digits of each digit 0–9, 1–1000 (the test split gets a sixth as many).
                Larger sets: `digitgen dataset --per-digit N --out DIR` on your own machine.
            seed: 0 … 2**31−1; the same seed always makes the same set.
            neatness: {neatness}
            {ranges}
            morphometrics: measure every digit (Morpho-MNIST's area, length, thickness, slant, width,
                height) into a CSV beside its labels; always on with a range.

        Returns:
            A ZIP: MNIST/raw/{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte, datasheet.json and README.md,
            and with morphometrics {{train,test}}-morphometrics.csv.
        """
        if isinstance(per_digit, int | float) and per_digit > DATASET_MAX_PER_DIGIT:
            raise ValueError(
                f"up to {DATASET_MAX_PER_DIGIT:,} per digit here; for {per_digit:,.0f}, run "
                f"`digitgen dataset --per-digit {per_digit:.0f} --out DIR` on your own machine"
            )
        ranges = parse_ranges(shape_of(thickness, slant, width))
        data = dataset_zip(
            per_digit, seed, neatness, generator=self.generator, max_per_digit=DATASET_MAX_PER_DIGIT,
            ranges=ranges, morphometrics=bool(morphometrics or ranges),
        )  # fmt: skip
        return self.files.save(data, f"digitgen-mnist_{per_digit:.0f}-per-digit_seed{seed}.zip")

    @endpoint(DATASET)
    def dataset_preview(
        self, per_digit: int, seed: int, neatness: float = DEFAULT_NEATNESS, thickness: str = "", slant: str = "",
        width: str = "",
    ) -> str:  # fmt: skip
        """The set's first 50 training digits, as the ZIP will hold them: one PNG, five rows of ten, 2× enlarged."""
        ranges = parse_ranges(shape_of(thickness, slant, width))
        images, _ = first_digits(self.generator, per_digit, seed, neatness, n=50, ranges=ranges)
        return self.files.png(upscale(grid(images, cols=10), 2))

    def hand_files(self, c: Capture) -> tuple[str, str, np.ndarray]:
        """A capture's pictures: the drawing as MNIST holds it, the hand's own version, and its ten digits."""
        drawing, remade = (self.files.png(upscale(image, PICTURE_SCALE)) for image in (c.drawing, c.reconstruction))
        return drawing, remade, style_row(c.style, generator=self.generator)

    def show_capture(
        self, c: Capture, example: bool = False
    ) -> tuple[str, str, int, str, list[tuple[str, str]], str, str]:
        """A capture as the "Your hand" tab shows it, with a ZIP of the ten digits."""
        drawing, remade, row = self.hand_files(c)
        said = f"Read as **{c.digit}** ({c.confidence:.1%} sure)"
        if c.confidence < 0.5:
            said = f"The reader is unsure this is a {c.digit} ({c.confidence:.1%}): pick the digit you drew below"
        if example:
            said = f"**An example**, MNIST's first test digit drawn large: {said[0].lower()}{said[1:]}"
        said += f" · match {c.psnr:.1f} dB"
        return drawing, remade, c.digit, said, self.captioned(row), c.code, self.zipped(row)

    def zipped(self, row: np.ndarray) -> str:
        """A hand's ten digits as a ZIP of 28×28 PNGs."""
        return self.files.save(zip_of_pngs(row, "my_hand"), "my_hand.zip")

    @endpoint(LIGHT)
    def hand_row(
        self, code: str, thickness: float = 0.0, slant: float = 0.0, width: float = 0.0
    ) -> tuple[list[tuple[str, str]], str]:
        """The "Your hand" tab's ten digits, reshaped by the shape controls, from the hand's style code."""
        row = style_row(code, **shape_of(thickness, slant, width), generator=self.generator)
        return self.captioned(row), self.zipped(row)

    @endpoint(CAPTURE)
    def example_capture(self) -> tuple:
        """What the "Your hand" tab shows before anything is drawn: a hand captured from an example drawing."""
        if self.example is None:
            self.example = capture(EXAMPLE_DRAWING, generator=self.generator)
        return self.show_capture(self.example, example=True)

    @endpoint(CAPTURE)
    def capture_sketch(self, sketch: dict | None, digit: int | None = None) -> tuple:
        """The "Your hand" tab's capture: the strokes are read from the sketchpad's layers."""
        layers = [layer for layer in (sketch or {}).get("layers") or [] if layer is not None]
        return self.show_capture(capture(strokes(layers), digit, generator=self.generator))

    @endpoint(CAPTURE)
    def capture_style(
        self, image: str | None, digit: int = -1
    ) -> tuple[str, int, float, str, str, list[tuple[str, str]]]:
        """Capture the hand that wrote one digit in an image, and write all ten digits in it.

        Args:
            image: an image file of one handwritten digit, up to 4096 pixels on a side: dark on light,
                light on dark, or strokes on a transparent background.
            digit: the digit drawn, 0–9, or -1 to let the built-in classifier read it.

        Returns:
            The style code (give it to write_in_style), the digit, the classifier's confidence in it, the
            drawing normalised like MNIST, the hand's own image of it, and the ten digits 0–9 in that hand.
        """
        if image is None:
            raise ValueError("send an image file of one handwritten digit")
        c = capture(image, None if digit == -1 else digit, generator=self.generator)
        drawing, remade, row = self.hand_files(c)
        return c.code, c.digit, round(c.confidence, 4), drawing, remade, self.captioned(row)

    @endpoint(LIGHT)
    def write_in_style(
        self, code: str, text: str, thickness: float = 0.0, slant: float = 0.0, width: float = 0.0
    ) -> str:
        """A number written in a captured hand.

        Args:
            code: a style code from capture_style (it starts with "dg1.").
            text: up to 32 digits; spaces leave gaps (e.g. "2026").
            {shape}

        Returns:
            One PNG of the number in that hand, white ink on black, 4× enlarged.
        """
        (line,) = write_number(text, code, n=1, **shape_of(thickness, slant, width), generator=self.generator)
        return self.files.png(upscale(line, PICTURE_SCALE))

    @staticmethod
    def random_seed() -> int:
        """A fresh random seed, 0 … 2**31−1, for the other tools' `seed` arguments.

        Returns:
            A whole number from 0 to 2147483647.
        """
        return random.randint(0, MAX_SEED)

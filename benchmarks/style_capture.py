"""Your own hand, measured: capture the style of real MNIST test digits, then write all ten digits in it.

For each of N test digits (default 500, 50 of each digit, taken in MNIST's order), two drawings:

* ``mnist``: the digit as MNIST holds it;
* ``canvas``: the digit as a user's canvas delivers it: drawn 10x larger with anti-aliasing, its
  strokes thickened, dark ink on a white page, placed off-centre on a 400 x 400 canvas.

Each is captured with the classifier's reading (as the app does) and reports: the reconstruction's
PSNR against the normalised drawing, PSNR against the original MNIST digit, how often the classifier
reads the drawing right, how often the ten digits in the captured hand read as the asked digit, and
the capture's time. Targets: PSNR >= 24 dB, ten digits >= 99 %, p50 <= 1 s on 2 CPU cores.
Run: ``python benchmarks/style_capture.py [--n 500]`` (``$DIGITGEN_DATA`` or ../shared/data).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import DATA, report
from PIL import Image, ImageFilter

from digitgen import load_generator
from digitgen.capture import capture, psnr
from digitgen.data import load_mnist
from digitgen.evaluate import read_digits
from digitgen.sample import style_row


def as_canvas(digit: np.ndarray) -> Image.Image:
    """A 28 x 28 MNIST digit as a canvas delivers a drawing: large, thick, dark on white, off-centre."""
    big = Image.fromarray(digit).resize((280, 280), Image.Resampling.BICUBIC).filter(ImageFilter.MaxFilter(7))
    page = Image.new("L", (400, 400), 255)
    page.paste(Image.eval(big, lambda v: 255 - v), (90, 40))
    return page.convert("RGB")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=500, help="test digits, spread evenly over 0-9")
    a = p.parse_args()
    generator = load_generator()
    test = load_mnist(DATA, train=False)
    picked = test.per_digit(a.n // 10)
    results = {}
    for kind in ("mnist", "canvas"):
        psnr_drawing, psnr_original, read_right, ten_right, seconds = [], [], [], [], []
        for image, label in zip(picked.images.numpy(), picked.labels.tolist(), strict=True):
            drawing = image if kind == "mnist" else as_canvas(image)
            start = time.perf_counter()
            hand = capture(drawing, generator=generator)
            seconds.append(time.perf_counter() - start)
            psnr_drawing.append(hand.psnr)
            psnr_original.append(psnr(hand.reconstruction, image))
            read_right.append(hand.digit == label)
            row = style_row(hand.style, generator=generator)
            ten_right.append(np.mean([d == k for k, (d, _) in enumerate(read_digits(row))]))
        results[kind] = {
            "drawings": len(seconds),
            "psnr_db": round(statistics.fmean(psnr_drawing), 2),
            "psnr_vs_mnist_original_db": round(statistics.fmean(psnr_original), 2),
            "drawing_read_right": round(statistics.fmean(read_right), 4),
            "ten_digits_read_right": round(statistics.fmean(ten_right), 4),
            "capture_seconds": {
                "p50": round(statistics.median(seconds), 3),
                "p95": round(float(np.percentile(seconds, 95)), 3),
            },
        }
    targets = {"psnr_db": 24.0, "ten_digits_read_right": 0.99, "capture_seconds_p50": 1.0}
    report("style_capture", {"n": a.n, **results, "targets": targets})


if __name__ == "__main__":
    main()

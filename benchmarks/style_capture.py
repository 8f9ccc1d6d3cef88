"""Your own hand, measured: capture the style of real MNIST test digits, then write all ten digits in it.

For each of N test digits (default 500, 50 of each digit, taken in MNIST's order), two drawings:

* ``mnist``: the digit as MNIST holds it;
* ``canvas``: the digit as a user's canvas delivers it: drawn 10x larger with anti-aliasing, its
  strokes thickened, dark ink on a white page, placed off-centre on a 400 x 400 canvas.

Each is captured with the classifier's reading (as the app does), twice, side by side: by the
encoder's guess refined with Gauss–Newton (``encoder``, what ``capture`` does for weights that ship
an encoder) and by the search from random vectors (``search``, for weights without one). Each
reports: the reconstruction's PSNR against the normalised drawing, PSNR against the original MNIST
digit, how often the classifier reads the drawing right, how often the ten digits in the captured
hand read as the asked digit, and the capture's time (p50, p95). Targets for ``encoder``: p50 ≤ 0.2 s
on 2 CPU cores, PSNR and the ten digits no worse than ``search``'s.
Run: ``python benchmarks/style_capture.py [--n 500]`` (``$DIGITGEN_DATA``: a torchvision MNIST root).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import numpy as np
from common import mnist_root, report
from PIL import Image, ImageFilter

from digitgen import load_generator
from digitgen.capture import capture, psnr
from digitgen.classifier import read_digits
from digitgen.data import load_mnist
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
    test = load_mnist(mnist_root(), train=False)
    picked = test.per_digit(a.n // 10)
    results: dict[str, dict[str, object]] = {"encoder": {}, "search": {}}
    for (method, use_encoder), kind in itertools.product((("encoder", True), ("search", False)), ("mnist", "canvas")):
        psnr_drawing, psnr_original, read_right, ten_right, seconds, refused = [], [], [], [], [], []
        for image, label in zip(picked.images.numpy(), picked.labels.tolist(), strict=True):
            drawing = image if kind == "mnist" else as_canvas(image)
            start = time.perf_counter()
            try:
                hand = capture(drawing, generator=generator, use_encoder=use_encoder)
            except ValueError as e:  # a real digit refused as not one: counted, and reported
                refused.append(str(e))
                continue
            seconds.append(time.perf_counter() - start)
            psnr_drawing.append(hand.psnr)
            psnr_original.append(psnr(hand.reconstruction, image))
            read_right.append(hand.digit == label)
            row = style_row(hand.style, generator=generator)
            ten_right.append(np.mean([d == k for k, (d, _) in enumerate(read_digits(row))]))
        results[method][kind] = {
            "drawings": len(seconds),
            "refused": refused,
            "psnr_db": round(statistics.fmean(psnr_drawing), 2),
            "psnr_vs_mnist_original_db": round(statistics.fmean(psnr_original), 2),
            "drawing_read_right": round(statistics.fmean(read_right), 4),
            "ten_digits_read_right": round(statistics.fmean(ten_right), 4),
            "capture_seconds": {
                "p50": round(statistics.median(seconds), 3),
                "p95": round(float(np.percentile(seconds, 95)), 3),
            },
        }
    targets = {"encoder_capture_seconds_p50": 0.2, "encoder_psnr_db_and_ten_digits": "no worse than search's"}
    report("style_capture", {"n": a.n, **results, "targets": targets})


if __name__ == "__main__":
    main()

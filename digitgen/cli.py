"""The ``digitgen`` command: handwritten digits from a terminal.

    digitgen generate 7 --seed 42 -o seven.png      five 7s side by side in one PNG
    digitgen generate 7 --seed 42 --each -o seven.png   seven_1.png … seven_5.png, 28 × 28 each
    digitgen generate 7 --seed 42 --thickness 1 --slant -0.5 -o bold.png   thick, leaning left
    digitgen morph 3 8 --seed 42 -o three_to_eight.gif  one hand turning a 3 into an 8 (frames, or a GIF)
    digitgen write 2026 --seed 42 -o year.png       a number written by hand
    digitgen dataset --per-digit 6000 --out DIR     synthetic MNIST (python -m digitgen.dataset)
    digitgen train --data DIR --out runs/mine       retrain (python -m digitgen.train)
    digitgen evaluate --data DIR [--cas]            the quality meter (python -m digitgen.evaluate)
    digitgen encoder --model runs/mine/model        the encoder that makes capture fast (python -m digitgen.encoder)
    digitgen shape --model runs/mine/model          the shape controls' directions (digitgen/shape.py)

A thin layer over the library: anything a user gets wrong is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .draw import DEFAULT_NEATNESS
from .handwriting import write_number
from .hub import load_generator
from .images import gif_bytes, grid, save_png, upscale
from .sample import MAX_FRAMES, generate, morph_digits
from .shape import ENDS

FORWARDED = {  # subcommands that are whole modules (digitgen.<name>) with their own options
    "dataset": "write a synthetic set in MNIST's formats (see digitgen dataset --help)",
    "train": "train a generator on MNIST (see digitgen train --help)",
    "evaluate": "measure a generator with the quality meter (see digitgen evaluate --help)",
    "encoder": "train a generator's encoder into its folder (see digitgen encoder --help)",
    "shape": "find a generator's shape controls, into its folder (see digitgen shape --help)",
}


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="0 ... 2**31-1; the same seed writes the same digits")
    p.add_argument("--neatness", type=float, default=DEFAULT_NEATNESS, help="0 (wild, default) ... 1 (neat)")
    for name, (low, high) in ENDS.items():
        p.add_argument(f"--{name}", type=float, default=0.0, help=f"-1 ({low}) ... 1 ({high}); 0 (default): as drawn")
    p.add_argument("--scale", type=int, default=1, help="enlarge each pixel this many times (1-16, default 1)")
    p.add_argument("--model", default=None, help="Hub repo id or local folder (default: $DIGITGEN_MODEL or shipped)")
    p.add_argument("-o", "--output", required=True, help="the PNG file to write (morph: a .png strip or a .gif)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="digitgen",
        description="Handwritten MNIST-style digits from a conditional GAN.",
        epilog="Errors are one line on stderr and exit status 2.",
    )
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    g = commands.add_parser("generate", help="write n samples of one digit", description="Write n samples of a digit.")
    g.add_argument("digit", type=int, help="the digit, 0-9")
    g.add_argument("-n", type=int, default=5, help="how many samples (1-100, default 5)")
    g.add_argument("--each", action="store_true", help="one 28 x 28 PNG per sample: OUTPUT_1.png, OUTPUT_2.png, ...")
    add_common(g)
    w = commands.add_parser("write", help="write a number by hand", description="Write a number by hand.")
    w.add_argument("number", help='up to 32 digits; spaces leave gaps (quote them: "12 34")')
    add_common(w)
    m = commands.add_parser(
        "morph", help="one hand turning one digit into another", description="One hand turning a digit into another."
    )
    m.add_argument("digit_from", type=int, help="the first frame's digit, 0-9")
    m.add_argument("digit_to", type=int, help="the last frame's digit, 0-9")
    m.add_argument("--frames", type=int, default=10, help=f"how many frames (2-{MAX_FRAMES}, default 10)")
    add_common(m)
    for name, text in FORWARDED.items():
        commands.add_parser(name, help=text, add_help=False)
    return p


def check_scale(scale: int) -> int:
    if not 1 <= scale <= 16:
        raise ValueError(f"scale must be a whole number from 1 to 16, got {scale}")
    return scale


def run(a: argparse.Namespace) -> list[Path]:
    """Draw what ``a`` asks for and write it; returns the files written."""
    scale, out = check_scale(a.scale), Path(a.output)
    suffixes = (".png", ".gif") if a.command == "morph" else (".png",)
    if out.suffix.lower() not in suffixes:
        raise ValueError(f"the output must be a {' or '.join(suffixes)} file, got {out}")
    how = {"neatness": a.neatness, "thickness": a.thickness, "slant": a.slant, "width": a.width}
    if a.command == "morph":
        frames = morph_digits(a.digit_from, a.digit_to, a.seed, a.frames, **how, generator=load_generator(a.model))
        if out.suffix.lower() == ".gif":
            out.write_bytes(gif_bytes(frames, scale=scale))
            return [out]
        return [save_png(upscale(grid(frames, cols=len(frames)), scale), out)]
    if a.command == "generate":
        images = generate(a.digit, a.seed, n=a.n, **how, generator=load_generator(a.model))
        if a.each:
            files = [out.with_name(f"{out.stem}_{i}.png") for i in range(1, len(images) + 1)]
            return [save_png(upscale(image, scale), f) for image, f in zip(images, files, strict=True)]
        return [save_png(upscale(grid(images, cols=len(images)), scale), out)]
    (line,) = write_number(a.number, a.seed, n=1, **how, generator=load_generator(a.model))
    return [save_png(upscale(line, scale), out)]


def forward(command: str, argv: list[str]) -> None:
    """Hand the rest of the line to the module that owns ``command``.

    Imported here, not at the top: together they bring scipy and training's code, three seconds of
    start-up that `digitgen generate` or a mistyped digit would otherwise wait for.
    """
    from . import dataset, encoder, evaluate, shape, train

    modules = {"dataset": dataset, "train": train, "evaluate": evaluate, "encoder": encoder, "shape": shape}
    modules[command].main(argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] and argv[0] in FORWARDED:
            forward(argv[0], argv[1:])
            return
        written = run(parser().parse_args(argv))
    except (ValueError, OSError) as e:
        print(f"digitgen: error: {e}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps({"written": [str(p) for p in written]}))


if __name__ == "__main__":
    main()

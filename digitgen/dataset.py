"""Synthetic MNIST: labelled digits from a generator, in the formats digit code already reads.

``python -m digitgen.dataset --per-digit 6000 --out DIR`` writes a balanced, shuffled set, by
default both splits (test at MNIST's ratio: one sixth of train, ``--test-per-digit`` to choose):

* ``idx`` (default): MNIST's own IDX files in torchvision's layout (``DIR/MNIST/raw/``), so
  ``torchvision.datasets.MNIST(DIR, train=...)`` and any IDX reader load it unchanged (torchvision
  wants all four files, so write both splits, or each into the same folder);
* ``npz``: ``DIR/<split>.npz`` holding ``images`` (uint8 ``(N, 28, 28)``) and ``labels``;
* ``png``: ``DIR/<split>/<digit>/<index>.png``, one 28 × 28 file per digit.

``--thickness -1:1`` (and ``--slant``, ``--width``) spreads the digits evenly over a range of a
shape control (:mod:`digitgen.shape`), and ``--morphometrics`` measures every digit as Morpho-MNIST
does, into ``DIR/<split>-morphometrics.csv`` (index, label, the controls it was drawn with, area,
length, thickness, slant, width, height) and, for ``npz``, the arrays ``morphometrics`` and
``controls``: a shifted test set (only thick digits, only slanted ones) says what is in it.
Beside it, ``datasheet.json`` and ``README.md`` say what made it: the generator and its meter
figures, the seed, the neatness, the ranges, the command and the counts. The same arguments and weights give
byte-identical files; digits are drawn and written in chunks, so memory stays flat at any size.
"""

from __future__ import annotations

import argparse
import io
import json
import shlex
import struct
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from .card import summary
from .draw import DEFAULT_NEATNESS, noise_from
from .hub import load_generator, weights_label
from .images import png_bytes
from .layout import IMAGE_SIZE, NUM_CLASSES
from .models import Generator
from .morphometrics import ATTRIBUTES, measure
from .sample import check_int, check_neatness, check_seed
from .shape import CONTROLS, check_range, parse_ranges, shaped_pixels

FORMATS = ("idx", "npz", "png")
SPLITS = {"train": "train", "test": "t10k"}  # the split's name in MNIST's file names
MAX_PER_DIGIT = 1_000_000
CHUNK = 2048  # digits drawn and written at a time


def shuffled_labels(per_digit: int, seed: int) -> torch.Tensor:
    """``per_digit`` of each digit 0–9 in an order shuffled by ``seed``."""
    labels = torch.arange(NUM_CLASSES).repeat_interleave(per_digit)
    return labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))]


TEST_STREAM = 0x7E57_0000  # flips bits of the seed for the test split's noise
SHAPE_STREAM = 0x5A_0000  # and these for the shape controls' draws, so the noise stream is the same with or without
Ranges = dict[str, tuple[float, float]]  # a shape control's name → (low, high), each within -1 … 1


def stream_seed(seed: int, split: str) -> int:
    """The noise stream of a split: train and test of one seed never share a noise vector.

    torch's CPU generator keeps only a seed's low 32 bits, so the flip stays inside them.
    """
    return seed if split == "train" else seed ^ TEST_STREAM


def digits(
    generator: Generator,
    per_digit: int,
    seed: int = 0,
    neatness: float = DEFAULT_NEATNESS,
    split: str = "train",
    ranges: Ranges | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The split's (images, labels, controls) in chunks of :data:`CHUNK`: uint8 ``(n, 28, 28)``, uint8
    ``(n,)`` and the shape controls each digit was drawn with, float32 ``(n, 3)`` (0 outside ``ranges``; less
    than drawn from them where the guard pulled a hand back, :func:`digitgen.shape.shaped_pixels`).

    One noise stream, seeded once and read chunk after chunk, so the set depends on the seed alone;
    the controls, uniform over their ranges, come from a stream of their own.
    """
    labels = shuffled_labels(per_digit, stream_seed(seed, split))
    stream = torch.Generator().manual_seed(stream_seed(seed, split))
    spread = torch.Generator().manual_seed(stream_seed(seed, split) ^ SHAPE_STREAM)
    low, high = (torch.tensor([(ranges or {}).get(name, (0.0, 0.0))[end] for name in CONTROLS]) for end in (0, 1))
    for start in range(0, len(labels), CHUNK):
        y = labels[start : start + CHUNK]
        z = noise_from(stream, generator.z_dim, len(y), neatness)
        controls = low + (high - low) * torch.rand(len(y), len(CONTROLS), generator=spread)
        images, went = shaped_pixels(generator, y, z, controls)
        yield images, y.numpy().astype(np.uint8), (controls * went[:, None]).numpy()


def checked_ranges(ranges: Ranges | None) -> Ranges:
    """``ranges`` checked: known controls, each range within −1 … 1 and written low to high."""
    if set(ranges or {}) - set(CONTROLS):
        raise ValueError(f"the shape controls are {', '.join(CONTROLS)}; got {', '.join(sorted(ranges or {}))}")
    return {name: check_range(name, low, high) for name, (low, high) in (ranges or {}).items()}


def first_digits(
    generator: Generator,
    per_digit: int,
    seed: int = 0,
    neatness: float = DEFAULT_NEATNESS,
    n: int = 50,
    ranges: Ranges | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The training split's first ``n`` (images, labels), exactly as the written set holds them: a preview.

    Truncated noise drawn for a whole chunk differs from the same stream drawn for fewer rows, so the
    first chunk is drawn whole (at most :data:`CHUNK` digits) and cut.
    """
    per_digit, seed = check_int(per_digit, "per_digit", 1, MAX_PER_DIGIT), check_seed(seed)
    ranges = checked_ranges(ranges)
    images, labels, _ = next(digits(generator, per_digit, seed, check_neatness(neatness), ranges=ranges))
    return images[:n], labels[:n]


def idx_header(kind: str, count: int) -> bytes:
    """MNIST's IDX header: magic 2051 with rows and columns for images, 2049 for labels."""
    if kind == "images":
        return struct.pack(">IIII", 2051, count, IMAGE_SIZE, IMAGE_SIZE)
    return struct.pack(">II", 2049, count)


def write_idx(folder: Path, split: str, count: int, chunks: Iterator[tuple[np.ndarray, np.ndarray]]) -> list[Path]:
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    paths = [raw / f"{SPLITS[split]}-images-idx3-ubyte", raw / f"{SPLITS[split]}-labels-idx1-ubyte"]
    with paths[0].open("wb") as images, paths[1].open("wb") as labels:
        images.write(idx_header("images", count))
        labels.write(idx_header("labels", count))
        for x, y, _ in chunks:
            images.write(x.tobytes())
            labels.write(y.tobytes())
    return paths


def write_npz(folder: Path, split: str, count: int, chunks: Iterator[tuple[np.ndarray, np.ndarray]]) -> list[Path]:
    """Arrays streamed into .npy files on disk, then stored (uncompressed) in one .npz."""
    path = folder / f"{split}.npz"
    with tempfile.TemporaryDirectory(dir=folder) as staging:
        images = np.lib.format.open_memmap(f"{staging}/images.npy", "w+", np.uint8, (count, IMAGE_SIZE, IMAGE_SIZE))
        labels = np.lib.format.open_memmap(f"{staging}/labels.npy", "w+", np.uint8, (count,))
        done = 0
        for x, y, _ in chunks:
            images[done : done + len(y)], labels[done : done + len(y)] = x, y
            done += len(y)
        images.flush(), labels.flush()
        del images, labels
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as npz:
            npz.write(f"{staging}/images.npy", "images.npy")
            npz.write(f"{staging}/labels.npy", "labels.npy")
    return [path]


def write_png(folder: Path, split: str, count: int, chunks: Iterator[tuple[np.ndarray, np.ndarray]]) -> list[Path]:
    root = folder / split
    for d in range(NUM_CLASSES):
        (root / str(d)).mkdir(parents=True, exist_ok=True)
    width, index = len(str(count - 1)), 0
    for x, y, _ in chunks:
        for image, label in zip(x, y, strict=True):
            (root / str(label) / f"{index:0{width}d}.png").write_bytes(png_bytes(image))
            index += 1
    return [root]


WRITERS: dict[str, Callable[..., list[Path]]] = {"idx": write_idx, "npz": write_npz, "png": write_png}


Chunks = Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]


def counted(chunks: Chunks, bar: tqdm) -> Chunks:
    for x, y, c in chunks:
        yield x, y, c
        bar.update(len(y))


TABLE = ("label", *(f"{name}_control" for name in CONTROLS), *ATTRIBUTES)  # a measured digit's row


def measured(chunks: Chunks, table: np.ndarray) -> Chunks:
    """The chunks as they pass, each digit's row of :data:`TABLE` written into ``table`` (on disk)."""
    done = 0
    for x, y, c in chunks:
        m = measure(x)
        table[done : done + len(y)] = np.column_stack([y, c, *(m[name] for name in ATTRIBUTES)])
        done += len(y)
        yield x, y, c


def write_morphometrics(folder: Path, split: str, table: np.ndarray, npz: Path | None) -> Path:
    """The table as Morpho-MNIST's CSV (an index first), and into the split's npz if there is one;
    read and written a chunk at a time, so memory stays flat however long the table."""
    path = folder / f"{split}-morphometrics.csv"
    formats = ["%d", "%d", *["%.2f"] * len(CONTROLS), *["%.4f"] * len(ATTRIBUTES)]
    with path.open("w") as csv:
        csv.write(",".join(["index", *TABLE]) + "\n")
        for start in range(0, len(table), CHUNK):
            rows = table[start : start + CHUNK]
            np.savetxt(csv, np.column_stack([np.arange(start, start + len(rows)), rows]), fmt=formats, delimiter=",")
    if npz is not None:
        with zipfile.ZipFile(npz, "a", zipfile.ZIP_STORED) as zf:
            for name, array in (
                ("controls", table[:, 1 : 1 + len(CONTROLS)]),
                ("morphometrics", table[:, -len(ATTRIBUTES) :]),
            ):
                with zf.open(f"{name}.npy", "w", force_zip64=True) as f:
                    np.lib.format.write_array(f, array)  # streamed in buffered pieces, not copied whole
    return path


def plan(per_digit: object, split: str, fmt: str, test_per_digit: object = None, max_per_digit: int = MAX_PER_DIGIT):
    """The digits per split asked for, checked: ``{"train": 6000, "test": 1000}``; ValueError if not allowed."""
    if split not in (*SPLITS, "both"):
        raise ValueError(f"split must be train, test or both, got {split!r}")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    per_digit = check_int(per_digit, "per_digit", 1, max_per_digit)
    if split != "both":
        return {split: per_digit}
    test = (
        max(1, per_digit // 6)
        if test_per_digit is None
        else check_int(test_per_digit, "test_per_digit", 1, max_per_digit)
    )
    return {"train": per_digit, "test": test}


def datasheet(
    generator: Generator,
    splits: dict[str, int],
    fmt: str,
    seed: int,
    neatness: float,
    command: str,
    ranges: Ranges | None = None,
    morphometrics: bool = False,
) -> dict[str, Any]:
    """What made the set, for whoever finds it later."""
    info = generator.config.get("info") or {}
    return {
        "what": "synthetic MNIST-style handwritten digits made by digitgen's conditional GAN",
        "generator": weights_label(generator),
        "model": summary(generator.config),
        "meter": {k: v for k, v in (info.get("metrics") or {}).items() if k != "real_floor"},
        "format": fmt,
        "seed": seed,
        "neatness": neatness,
        "splits": {
            split: {"per_digit": n, "count": n * NUM_CLASSES, "counts": {str(d): n for d in range(NUM_CLASSES)}}
            for split, n in splits.items()
        },
        "shape_ranges": {name: list(r) for name, r in (ranges or {}).items()},  # uniform over each; the rest at 0
        "morphometrics": [f"{split}-morphometrics.csv" for split in splits] if morphometrics else None,
        "command": command,
    }


def datasheet_readme(sheet: dict[str, Any]) -> str:
    meter = sheet["meter"]
    figures = (
        f"On digitgen's meter its samples score accuracy {meter['accuracy']:.2%}, FID {meter['fid']:.3g}, "
        f"precision {meter['precision']:.3f} and recall {meter['recall']:.3f} "
        f"({meter.get('n_per_digit', '?')} samples per digit)."
        if {"accuracy", "fid", "precision", "recall"} <= set(meter)
        else "Its meter figures are not recorded in its config."
    )
    splits = "; ".join(
        f"{split}: {s['count']:,} digits, {s['per_digit']:,} of each digit 0–9" for split, s in sheet["splits"].items()
    )
    shape = "".join(
        f" Their {name} was drawn uniformly from {low:g} to {high:g} (digitgen's shape control, −1 … 1)."
        for name, (low, high) in sheet["shape_ranges"].items()
    )
    if sheet["shape_ranges"]:
        shape += " The odd digit that would not read as itself there was drawn a share of the way (its controls say)."
    if sheet["morphometrics"]:
        shape += f" Each digit's Morpho-MNIST morphometrics: {', '.join(f'`{f}`' for f in sheet['morphometrics'])}."
    return "\n".join(
        [
            "# Synthetic MNIST from digitgen",
            "",
            f"{splits}; shuffled, written as `{sheet['format']}` by digitgen from {sheet['generator']} "
            f"({sheet['model']}), seed {sheet['seed']}, neatness {sheet['neatness']}.{shape} " + figures,
            "",
            "Images are uint8 28 × 28, white ink (255) on a black background (0), like MNIST.",
            "",
            f"Made with: `{sheet['command']}`. The same command and weights make the same files.",
            "",
        ]
    )


def write_dataset(
    out: str | Path,
    per_digit: int,
    *,
    split: str = "both",
    test_per_digit: int | None = None,
    fmt: str = "idx",
    seed: int = 0,
    neatness: float = DEFAULT_NEATNESS,
    ranges: Ranges | None = None,
    morphometrics: bool = False,
    generator: Generator | None = None,
    command: str | None = None,
    max_per_digit: int = MAX_PER_DIGIT,
    progress: bool = True,
) -> list[Path]:
    """Write a balanced, shuffled synthetic set and its datasheet under ``out``; returns the paths written.

    ``ranges`` spreads the digits over shape controls' ranges (``{"thickness": (0.5, 1)}``);
    ``morphometrics`` measures every digit into ``<split>-morphometrics.csv`` (and the npz).
    """
    splits = plan(per_digit, split, fmt, test_per_digit, max_per_digit)
    seed, neatness = check_seed(seed), check_neatness(neatness)
    ranges = checked_ranges(ranges)
    folder = Path(out).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as e:
        raise ValueError(f"cannot write to {folder}: {e.strerror or e}") from None
    g = generator or load_generator()
    paths: list[Path] = []
    for name, n in splits.items():
        with tqdm(total=n * NUM_CLASSES, unit="digit", desc=f"{name} ({fmt})", disable=not progress) as bar:
            chunks, count = counted(digits(g, n, seed, neatness, name, ranges), bar), n * NUM_CLASSES
            if not morphometrics:
                paths += WRITERS[fmt](folder, name, count, chunks)
                continue
            with tempfile.TemporaryDirectory(dir=folder) as staging:
                table = np.lib.format.open_memmap(f"{staging}/table.npy", "w+", np.float32, (count, len(TABLE)))
                written = WRITERS[fmt](folder, name, count, measured(chunks, table))
                written.append(write_morphometrics(folder, name, table, written[0] if fmt == "npz" else None))
                del table  # the memory map, closed before its folder goes
            paths += written
    if command is None:  # the command that writes the same set (but for --out)
        words = ["--per-digit", per_digit, "--split", split, "--format", fmt, "--seed", seed, "--neatness", neatness]
        words += ["--test-per-digit", test_per_digit] if test_per_digit is not None else []
        words += [w for name, (low, high) in ranges.items() for w in (f"--{name}", f"{low:g}:{high:g}")]
        command = shlex.join(["python", "-m", "digitgen.dataset", *map(str, words)])
        command += " --morphometrics" if morphometrics else ""
    sheet = datasheet(g, splits, fmt, seed, neatness, command, ranges, morphometrics)
    (folder / "datasheet.json").write_text(json.dumps(sheet, indent=1) + "\n")
    (folder / "README.md").write_text(datasheet_readme(sheet))
    return [*paths, folder / "datasheet.json", folder / "README.md"]


def dataset_zip(per_digit: int, seed: int = 0, neatness: float = DEFAULT_NEATNESS, **kwargs: Any) -> bytes:
    """Both splits as a ZIP of MNIST's IDX files (torchvision's layout) with the datasheet: for downloads."""
    with tempfile.TemporaryDirectory() as folder:
        paths = write_dataset(folder, per_digit, seed=seed, neatness=neatness, progress=False, **kwargs)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in paths:
                zf.write(path, str(path.relative_to(folder)))
        return buffer.getvalue()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="digitgen dataset", description="Write a synthetic, MNIST-format set of handwritten digits."
    )
    p.add_argument("--per-digit", type=int, required=True, help="how many of each digit 0-9 (1 ... 1,000,000)")
    p.add_argument("--out", required=True, help="folder to write into (made if missing)")
    p.add_argument("--split", default="both", choices=["both", *SPLITS], help="both (default), or one split")
    p.add_argument("--test-per-digit", type=int, default=None, help="with --split both: default a sixth of --per-digit")
    p.add_argument("--format", default="idx", choices=FORMATS, help="idx: MNIST's own files (torchvision's layout)")
    p.add_argument("--seed", type=int, default=0, help="0 ... 2**31-1; the same seed writes the same set")
    p.add_argument("--neatness", type=float, default=DEFAULT_NEATNESS, help="0 (wild, default) ... 1 (neat)")
    for name in CONTROLS:
        p.add_argument(f"--{name}", metavar="LOW:HIGH", help=f"spread the digits' {name} over this range of -1 ... 1")
    p.add_argument(
        "--morphometrics",
        action="store_true",
        help="measure every digit into SPLIT-morphometrics.csv (on with a range)",
    )
    p.add_argument("--model", default=None, help="Hub repo id or local folder (default: $DIGITGEN_MODEL or shipped)")
    return p


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    a = parser().parse_args(argv)
    try:
        plan(a.per_digit, a.split, a.format, a.test_per_digit)  # refuse bad sizes before loading weights
        ranges = parse_ranges({name: getattr(a, name) for name in CONTROLS})
        command = shlex.join(["python", "-m", "digitgen.dataset", *argv])
        paths = write_dataset(
            a.out,
            a.per_digit,
            split=a.split,
            test_per_digit=a.test_per_digit,
            fmt=a.format,
            seed=a.seed,
            neatness=a.neatness,
            ranges=ranges,
            morphometrics=a.morphometrics or bool(ranges),
            generator=load_generator(a.model),
            command=command,
        )
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps({"written": [str(p) for p in paths]}))


if __name__ == "__main__":
    main()

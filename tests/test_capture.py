"""Your own hand: normalising drawings like MNIST, style codes, and capturing a hand from a drawing."""

from __future__ import annotations

import io
import string
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from digitgen import generate, load_generator
from digitgen.capture import capture, normalise, read
from digitgen.data import load_mnist
from digitgen.handwriting import write_number
from digitgen.layout import centre_of_mass
from digitgen.models import Generator
from digitgen.sample import style_row
from digitgen.style import Style


@pytest.fixture(scope="module")
def generator():
    return load_generator()


def seven(size: int = 600, width: int = 40, ink="black", paper="white", offset=(0, 0)) -> Image.Image:
    """A big, anti-aliased, thick 7 as a canvas gives it, anywhere on the page."""
    image = Image.new("RGBA", (size, size), paper)
    dx, dy = offset
    corners = [(150 + dx, 120 + dy), (450 + dx, 120 + dy), (280 + dx, 500 + dy)]
    ImageDraw.Draw(image).line(corners, fill=ink, width=width)
    return image


def test_normalised_like_mnist_whatever_the_colours_size_and_place():
    reference = normalise(seven())
    assert reference.shape == (28, 28) and reference.dtype == np.uint8 and reference.max() == 255
    rows, cols = np.nonzero(reference > 0)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in (20, 21, 22)  # fitted to MNIST's 20-pixel box (anti-aliased edge)
    row, col = centre_of_mass(torch.from_numpy(reference).float()[None])
    assert abs(row.item() - 14) <= 0.5 and abs(col.item() - 14) <= 0.5  # centred by centre of mass
    variants = [
        seven(ink="white", paper="black"),  # light on dark
        seven(ink=(20, 20, 200, 255), paper=(0, 0, 0, 0)),  # coloured strokes on a transparent layer
        seven(ink=(90, 90, 90), paper=(235, 235, 235)),  # grey pencil on grey paper
        seven(offset=(-120, 60)),  # drawn off to one side
        seven(size=1200).resize((300, 300)),  # another size
    ]
    for variant in variants:
        assert np.abs(normalise(variant).astype(int) - reference).mean() < 6


def test_mnist_digits_come_through_nearly_unchanged():
    test = load_mnist("tests/data", train=False)
    for image in test.images[:50].numpy():
        assert np.abs(normalise(image).astype(int) - image).mean() < 6


def png_bytes_of(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, **({"format": "PNG"} | params))
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb's header)."""
    data = bytearray(png_bytes_of(Image.new("L", (8, 8))))
    data[16:24] = struct.pack(">II", width, height)  # IHDR's width and height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # and its checksum
    return bytes(data)


def animation() -> bytes:
    frames = [seven(size=200, width=14), seven(size=200, width=20)]
    return png_bytes_of(frames[0].convert("L"), format="GIF", save_all=True, append_images=[frames[1].convert("L")])


@pytest.mark.parametrize(
    "source, message",
    [
        (Image.new("RGB", (300, 300), "white"), "the drawing is empty"),
        (png_bytes_of(seven())[:3000], "that image file is damaged or cut short"),
        (png_claiming(40_000, 40_000), r"that image is too large \(over"),
        (png_claiming(9_000, 9_000), "that image is 9000 × 9000 pixels; send one up to 4096"),
        (animation(), r"that is an animated image \(2 frames\)"),
        (Image.new("RGBA", (300, 300), (0, 0, 0, 0)), "the drawing is empty"),
        (b"not an image at all", "that is not an image file"),
        ("/nonexistent/drawing.png", r"the image file is not there \(any more\)"),
        (Image.new("L", (5000, 100)), "that image is 5000 × 100 pixels"),
    ],
)
def test_bad_drawings_are_one_sentence(source, message):
    with pytest.raises(ValueError, match=message):
        normalise(source)


def test_several_digits_side_by_side_are_refused():
    image = Image.new("RGB", (600, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(100, 50), (100, 250)], fill="black", width=20)  # a 1
    draw.ellipse([(350, 60), (520, 250)], outline="black", width=20)  # a 0
    with pytest.raises(ValueError, match="several digits"):
        normalise(image)


def test_style_code_round_trip_and_refusals(generator):
    style = Style.of(torch.randn(64, generator=torch.Generator().manual_seed(1)), generator)
    code = style.code
    assert code.startswith("dg1.") and len(code) < 100
    assert torch.equal(Style.from_code(code, generator).z, style.z)
    assert np.array_equal(generate(3, code, n=1, generator=generator), generate(3, style, n=1, generator=generator))
    other = Generator(width=16, width_28=8)  # other weights: the code means nothing to them
    with pytest.raises(ValueError, match="made with other weights"):
        Style.from_code(code, other)
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    spare_bit = code[:-1] + alphabet[alphabet.index(code[-1]) ^ 1]  # the same bytes, spelled another way
    for bad in ("", "hello", "dg1.", code[:-4], code[:-1] + ("A" if code[-1] != "A" else "B"), spare_bit, 42):
        with pytest.raises(ValueError, match="style code"):
            Style.from_code(bad, generator)


def test_capturing_mnist_digits_reconstructs_them_and_writes_every_digit(generator):
    test = load_mnist("tests/data", train=False)
    for index in (0, 101, 302):  # three MNIST test digits
        image, label = test.images[index].numpy(), int(test.labels[index])
        hand = capture(image, generator=generator)
        assert hand.digit == label and hand.confidence > 0.9
        assert hand.psnr > 20  # a random vector of the right digit scores about 10 dB
        assert np.array_equal(hand.reconstruction, generate(label, hand.code, n=1, generator=generator)[0])
        row = style_row(hand.style, generator=generator)
        assert sum(read(digit)[0] == d for d, digit in enumerate(row)) >= 9
        assert write_number("2026", hand.code, n=1, generator=generator)[0].shape[0] == 36


def test_the_same_drawing_gives_the_same_code_and_the_digit_can_be_chosen(generator):
    drawing = seven()
    first = capture(drawing, generator=generator, steps=40)
    assert capture(drawing, generator=generator, steps=40).code == first.code
    assert first.digit == 7
    as_one = capture(drawing, 1, generator=generator, steps=40)
    assert as_one.digit == 1 and as_one.confidence < 0.5 and as_one.code != first.code
